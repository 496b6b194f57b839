# llama.cpp's own Python codec (gguf-py's quants.py, from the bundled llama.cpp source) on raw little-endian files:
#   quantize   TYPE COLS in.f32 out.bin   rows of COLS float32 -> TYPE blocks
#   dequantize TYPE COLS in.bin out.f32   rows of COLS elements in TYPE blocks -> float32
import sys
import numpy as np

sys.path.insert(0, sys.argv[1])
from gguf import GGMLQuantizationType, quants  # noqa: E402

mode, qtype, cols, src, dst = sys.argv[2], GGMLQuantizationType[sys.argv[3]], int(sys.argv[4]), sys.argv[5], sys.argv[6]
if mode == "quantize":
    quants.quantize(np.fromfile(src, dtype="<f4").reshape(-1, cols), qtype).tofile(dst)
else:
    row_bytes = quants.quant_shape_to_byte_shape((cols,), qtype)[0]
    raw = np.fromfile(src, dtype=np.uint8).reshape(-1, row_bytes)
    quants.dequantize(raw, qtype).astype("<f4").tofile(dst)
