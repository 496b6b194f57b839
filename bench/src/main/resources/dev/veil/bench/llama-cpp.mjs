// llama.cpp, the engine Veil did not write, driven through node-llama-cpp's prebuilt CPU binaries.
// Token ids in, token ids and numbers out: no text, no chat wrapper, no tokenizer involved.
//
// Usage: node llama-cpp.mjs <request.json>   (the request may also come on stdin when no file is given)
//   env NODE_LLAMA_CPP_MODULE = path of node-llama-cpp's dist/index.js (the script runs from anywhere)
// Request (JSON):
//   model        path of a GGUF file
//   threads      CPU threads for llama.cpp
//   contextSize  tokens per sequence (default 512)
//   prompts      [[token ids], ...]
//   logits       true: last-position logits over the full vocabulary, per prompt
//   generate     N: greedy continuation of N tokens per prompt (argmax, no penalties, EOS does not stop it)
//   bench        {prefill: [P...], decode: D, repeats: R, warmup: W}: per length, W untimed runs, then timings of
//                prefilling P tokens of the first prompt (cycled to length) and of decoding D tokens after it, best of
//                R runs; cpuShare is the CPU time the
//                process got over those runs per thread and wall second (below 1: other load took the cores)
// Reply (JSON on stdout): {llamaCpp: {repo, release, systemInfo}, results: [{logits?, tokens?}], bench?: [...]}
// Diagnostics go to stderr; any failure exits non-zero with one line on stderr.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// Never download, build or probe a GPU: only the prebuilt CPU binary already installed is acceptable.
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = "true";
process.env.NODE_LLAMA_CPP_GPU = "false";

function fail(message) {
    process.stderr.write("llama-cpp.mjs: " + message + "\n");
    process.exit(2);
}

try {
    const request = JSON.parse(process.argv[2] ? readFileSync(process.argv[2], "utf8") : readFileSync(0, "utf8"));
    const modulePath = process.env.NODE_LLAMA_CPP_MODULE;
    if (!modulePath) fail("NODE_LLAMA_CPP_MODULE is not set (path of node-llama-cpp/dist/index.js)");
    const { getLlama, LlamaLogLevel } = await import(pathToFileURL(modulePath).href);

    const threads = request.threads ?? 1;
    const llama = await getLlama({
        gpu: false,
        build: "never",
        usePrebuiltBinaries: true,
        skipDownload: true,
        progressLogs: false,
        logLevel: LlamaLogLevel.error,
        maxThreads: threads,
    });
    const model = await llama.loadModel({ modelPath: request.model, gpuLayers: 0, useMmap: true });
    const context = await model.createContext({
        contextSize: request.contextSize ?? 512,
        batchSize: request.contextSize ?? 512,
        sequences: 1,
        threads: { ideal: threads, min: threads },
        // Exactness: llama.cpp keeps K and V in F16 by default; F32 keeps the cache at the model's precision.
        // Flash attention is off so attention runs the plain F32 softmax(QKᵀ)V path.
        flashAttention: false,
        experimentalKvCacheKeyType: "F32",
        experimentalKvCacheValueType: "F32",
        failedCreationRemedy: false,
        ignoreMemorySafetyChecks: true,
    });
    const sequence = context.getSequence();

    // Greedy: llama.cpp's greedy sampler takes the argmax of the raw logits (first index on ties).
    // No repeat penalty, token bias or grammar is configured, so nothing touches the logits on the way.
    const greedy = { temperature: 0 };

    /** Evaluates `tokens` after what the sequence holds; returns the next-token output of the last position. */
    async function step(tokens, wantLogits) {
        const input = tokens.slice(0, -1);
        input.push([tokens[tokens.length - 1], { generateNext: { token: true, logits: wantLogits, options: greedy } }]);
        const out = await sequence.controlledEvaluate(input);
        return out[tokens.length - 1].next;
    }

    function logitArray(map) {
        const logits = new Array(map.size);
        for (const [token, value] of map) logits[token] = value;
        return logits;
    }

    const results = [];
    for (const prompt of request.prompts ?? []) {
        await sequence.clearHistory();
        const result = {};
        let next = await step(prompt, !!request.logits);
        if (request.logits) result.logits = logitArray(next.logits);
        if (request.generate) {
            const tokens = [next.token];
            while (tokens.length < request.generate) {
                next = await step([tokens[tokens.length - 1]], false);
                tokens.push(next.token);
            }
            result.tokens = tokens;
        }
        results.push(result);
    }

    const bench = [];
    if (request.bench) {
        const base = request.prompts?.[0] ?? [1];
        const repeats = request.bench.repeats ?? 3, warmup = request.bench.warmup ?? 0;
        const once = async (tokens) => {
            await sequence.clearHistory();
            let t0 = process.hrtime.bigint();
            let next = await step(tokens, false);
            const prefillSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
            t0 = process.hrtime.bigint();
            for (let i = 0; i < request.bench.decode; i++) next = await step([next.token], false);
            return { prefillSeconds, decodeSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
        };
        for (const length of request.bench.prefill) {
            const tokens = Array.from({ length }, (_, i) => base[i % base.length]);
            // untimed runs first: the model's pages faulted in, the buffers allocated
            for (let w = 0; w < warmup; w++) await once(tokens);
            let best = { prefillSeconds: Infinity, decodeSeconds: Infinity };
            const cpu0 = process.cpuUsage(), wall0 = process.hrtime.bigint();
            for (let r = 0; r < repeats; r++) {
                const t = await once(tokens);
                best = {
                    prefillSeconds: Math.min(best.prefillSeconds, t.prefillSeconds),
                    decodeSeconds: Math.min(best.decodeSeconds, t.decodeSeconds),
                };
            }
            const cpu = process.cpuUsage(cpu0), wall = Number(process.hrtime.bigint() - wall0) / 1e9;
            const cpuShare = (cpu.user + cpu.system) / 1e6 / (wall * threads);
            bench.push({ context: length, prefillTokens: length, decodeTokens: request.bench.decode, ...best, cpuShare });
        }
    }

    const reply = {
        llamaCpp: { ...llama.llamaCppRelease, systemInfo: llama.systemInfo, threads: context.currentThreads ?? threads },
        results,
    };
    if (request.bench) reply.bench = bench;
    process.stdout.write(JSON.stringify(reply) + "\n");
    await context.dispose();
    await model.dispose();
    await llama.dispose();
} catch (e) {
    fail(e?.message ?? String(e));
}
