package dev.veil.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.SamplingParams;
import dev.veil.http.EventStream;
import dev.veil.http.Exchange;
import dev.veil.http.Json;
import dev.veil.http.ParsingSlots;
import dev.veil.http.RequestIntake;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/completions}: validates the request, hands its sequences to the {@link Scheduler} and writes their
 * tokens back as one JSON response or as server-sent events, in vLLM's response shape ({@code text} is empty: this
 * server has no tokenizer; the ids are in {@code token_ids}, the prompt's in {@code prompt_token_ids} when
 * {@code return_token_ids} is set). A client that goes away, streaming or not, cancels its sequences at once: the
 * scheduler drops them before its next pass.
 */
final class CompletionEndpoint {

    private static final System.Logger LOG = System.getLogger(CompletionEndpoint.class.getName());

    private final Scheduler scheduler;
    private final ServerMetrics metrics;
    private final String modelName;
    private final int vocabSize;
    private final int contextLength;
    private final Set<Integer> eosIds;
    private final Duration keepAlive;
    private final ParsingSlots parsing;

    CompletionEndpoint(
            Scheduler scheduler,
            ServerMetrics metrics,
            String modelName,
            int vocabSize,
            int contextLength,
            Set<Integer> eosIds,
            Duration keepAlive,
            RequestIntake intake) {
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.modelName = modelName;
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.eosIds = Set.copyOf(eosIds);
        this.keepAlive = keepAlive;
        this.parsing = intake.slots();
    }

    /** One request's identity and its sequences, shared by the two response shapes. */
    private record Call(
            String id,
            long created,
            CompletionRequest request,
            List<Sequence> sequences,
            BlockingQueue<SequenceEvent> events,
            long startNanos) {

        void cancel() {
            sequences.forEach(Sequence::cancel);
        }
    }

    void handle(Exchange exchange) throws IOException {
        long start = System.nanoTime();
        CompletionRequest request;
        try {
            request = parse(exchange);
        } catch (ApiException e) {
            metrics.request(e.status() == 404 ? "not_found" : e.status() == 503 ? "busy" : "bad_request");
            exchange.sendError(e);
            return;
        }
        BlockingQueue<SequenceEvent> events = new LinkedBlockingQueue<>();
        List<Sequence> sequences = new ArrayList<>();
        Set<Integer> eos = request.ignoreEos() ? Set.of() : eosIds;
        for (int i = 0; i < request.prompts().size(); i++) {
            long seed = request.seed() != null
                    ? request.seed()
                    : ThreadLocalRandom.current().nextLong();
            var sampling = new SamplingParams(
                    request.temperature(),
                    request.topK(),
                    request.topP(),
                    seed,
                    request.minP(),
                    request.repetitionPenalty(),
                    request.presencePenalty(),
                    request.frequencyPenalty());
            sequences.add(new Sequence(
                    i, request.prompts().get(i), request.maxTokens(), sampling, request.stopTokenIds(), eos, events));
        }
        try {
            scheduler.submit(sequences);
        } catch (ApiException e) {
            metrics.request(e.status() == 429 ? "queue_full" : "shutting_down");
            exchange.sendError(e);
            return;
        }
        exchange.onClientGone(
                () -> { // from an I/O thread, the moment the connection closes; once per request
                    metrics.request("client_gone"); // counted before the scheduler can drop the sequences
                    sequences.forEach(Sequence::cancel);
                    events.add(new SequenceEvent.ClientGone(0));
                });
        metrics.promptTokens(request.promptTokens());
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        Call call = new Call(
                "cmpl-" + HexFormat.of().formatHex(random),
                System.currentTimeMillis() / 1000,
                request,
                sequences,
                events,
                start);
        if (request.stream()) stream(exchange, call);
        else respond(exchange, call);
    }

    /** Parses the body while holding one of the few parsing slots ({@link ParsingSlots}): 503 when none frees up in time. */
    private CompletionRequest parse(Exchange exchange) throws ApiException {
        return parsing.run(
                () -> CompletionRequest.parse(exchange.json(ApiException.class), modelName, vocabSize, contextLength),
                () -> new ApiException(
                        503,
                        "ServiceUnavailableError",
                        "the server is busy reading other requests; retry later",
                        null));
    }

    /** Waits for every sequence, then answers with one JSON body. */
    private void respond(Exchange exchange, Call call) throws IOException {
        int n = call.sequences.size();
        List<List<Integer>> outputs = new ArrayList<>();
        for (int i = 0; i < n; i++) outputs.add(new ArrayList<>());
        SequenceEvent.Finish[] finishes = new SequenceEvent.Finish[n];
        long firstToken = 0;
        for (int open = n; open > 0; ) {
            SequenceEvent event = take(call.events);
            switch (event) {
                case SequenceEvent.Token t -> {
                    if (firstToken == 0) firstToken = System.nanoTime();
                    outputs.get(t.choice()).add(t.id());
                    open -= finish(finishes, t);
                }
                case SequenceEvent.Failed f -> {
                    failed(call, f);
                    exchange.sendError(f.error());
                    return;
                }
                case SequenceEvent.ClientGone g -> {
                    clientGone(call, "completion");
                    return;
                }
            }
        }
        ObjectNode body = header(call, "text_completion");
        ArrayNode choices = body.putArray("choices");
        int generated = 0;
        for (int i = 0; i < n; i++) {
            ObjectNode choice = choice(i, finishes[i]);
            ArrayNode ids = choice.putArray("token_ids");
            outputs.get(i).forEach(ids::add);
            if (call.request.returnTokenIds())
                promptIds(choice, call.request.prompts().get(i));
            choices.add(choice);
            generated += outputs.get(i).size();
        }
        body.set("usage", usage(call.request.promptTokens(), generated));
        finished(
                call,
                generated,
                firstToken,
                finishes); // counted before the client can read its answer and ask /metrics
        exchange.sendJson(200, body);
    }

    /** Server-sent events: one chunk per token, an optional usage chunk, then {@code [DONE]}. */
    private void stream(Exchange exchange, Call call) throws IOException {
        int n = call.sequences.size();
        boolean[] started = new boolean[n];
        SequenceEvent.Finish[] finishes = new SequenceEvent.Finish[n];
        int generated = 0;
        long firstToken = 0;
        try (EventStream out = exchange.events("text/event-stream")) {
            for (int open = n; open > 0; ) {
                SequenceEvent event = poll(call.events, keepAlive);
                if (event == null) {
                    out.comment("keep-alive");
                    continue;
                }
                switch (event) {
                    case SequenceEvent.Token t -> {
                        if (firstToken == 0) firstToken = System.nanoTime();
                        generated++;
                        ObjectNode chunk = header(call, "text_completion");
                        ObjectNode choice = choice(t.choice(), t.finish());
                        choice.putArray("token_ids").add(t.id());
                        if (!started[t.choice()] && call.request.returnTokenIds())
                            promptIds(choice, call.request.prompts().get(t.choice()));
                        started[t.choice()] = true;
                        chunk.putArray("choices").add(choice);
                        out.event(chunk);
                        open -= finish(finishes, t);
                    }
                    case SequenceEvent.Failed f -> {
                        failed(call, f);
                        out.event(f.error().body());
                        out.done();
                        return;
                    }
                    case SequenceEvent.ClientGone g -> throw new IOException("the client went away");
                }
            }
            if (call.request.includeUsage()) {
                ObjectNode chunk = header(call, "text_completion");
                chunk.putArray("choices");
                chunk.set("usage", usage(call.request.promptTokens(), generated));
                out.event(chunk);
            }
            finished(
                    call,
                    generated,
                    firstToken,
                    finishes); // counted before the client can read [DONE] and ask /metrics
            out.done();
        } catch (IOException e) {
            clientGone(call, "completion stream");
        }
    }

    /** Records a sequence's finish when {@code t} carries one: 1 (one sequence fewer open), else 0. */
    private static int finish(SequenceEvent.Finish[] finishes, SequenceEvent.Token t) {
        if (t.finish() == null) return 0;
        finishes[t.choice()] = t.finish();
        return 1;
    }

    /** A sequence failed: the call's others are cancelled, and the request is counted by why. */
    private void failed(Call call, SequenceEvent.Failed f) {
        call.cancel();
        metrics.request(f.error().status() == 503 ? "shutting_down" : "failed");
    }

    private void clientGone(Call call, String what) {
        call.cancel(); // already, by onClientGone
        LOG.log(
                System.Logger.Level.INFO,
                "{0}: the client went away; {1} sequence(s) cancelled",
                what,
                call.sequences.size());
    }

    private void finished(Call call, int generated, long firstToken, SequenceEvent.Finish[] finishes) {
        metrics.request("ok");
        long end = System.nanoTime();
        long stops =
                Arrays.stream(finishes).filter(f -> f.reason().equals("stop")).count();
        LOG.log(
                System.Logger.Level.INFO,
                String.format(
                        Locale.ROOT,
                        "completion: %d sequence(s), %d prompt tokens, %d generated, %d stopped / %d at length, first token %.1f ms, total %.1f ms",
                        finishes.length,
                        call.request.promptTokens(),
                        generated,
                        stops,
                        finishes.length - stops,
                        firstToken == 0 ? 0 : (firstToken - call.startNanos) / 1e6,
                        (end - call.startNanos) / 1e6));
    }

    private ObjectNode header(Call call, String object) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("id", call.id);
        n.put("object", object);
        n.put("created", call.created);
        n.put("model", modelName);
        return n;
    }

    private static ObjectNode choice(int index, SequenceEvent.Finish finish) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("index", index);
        c.put("text", "");
        c.putNull("logprobs");
        if (finish == null) {
            c.putNull("finish_reason");
            c.putNull("stop_reason");
        } else {
            c.put("finish_reason", finish.reason());
            if (finish.stopReason() == null) c.putNull("stop_reason");
            else c.put("stop_reason", finish.stopReason());
        }
        return c;
    }

    private static void promptIds(ObjectNode choice, int[] prompt) {
        ArrayNode ids = choice.putArray("prompt_token_ids");
        for (int id : prompt) ids.add(id);
    }

    private static ObjectNode usage(int prompt, int generated) {
        ObjectNode u = Json.MAPPER.createObjectNode();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", generated);
        u.put("total_tokens", prompt + generated);
        return u;
    }

    private static SequenceEvent take(BlockingQueue<SequenceEvent> events) {
        try {
            return events.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for tokens", e);
        }
    }

    private static SequenceEvent poll(BlockingQueue<SequenceEvent> events, Duration timeout) {
        try {
            return events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for tokens", e);
        }
    }
}
