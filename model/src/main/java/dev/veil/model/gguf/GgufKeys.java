package dev.veil.model.gguf;

/** Metadata keys Veil reads and writes (llama.cpp's names from llama-arch.cpp, plus a few of Veil's own). */
final class GgufKeys {
    private GgufKeys() {}

    static final String ARCHITECTURE = "general.architecture";
    static final String NAME = "general.name";
    static final String FILE_TYPE = "general.file_type";
    /** ggml's GGML_QNT_VERSION (2), which llama-quantize writes into quantized files. */
    static final String QUANTIZATION_VERSION = "general.quantization_version";

    // per architecture: "<arch>." + suffix
    static final String CONTEXT_LENGTH = "context_length";
    static final String EMBEDDING_LENGTH = "embedding_length";
    static final String BLOCK_COUNT = "block_count";
    static final String FEED_FORWARD_LENGTH = "feed_forward_length";
    static final String HEAD_COUNT = "attention.head_count";
    static final String HEAD_COUNT_KV = "attention.head_count_kv";
    static final String KEY_LENGTH = "attention.key_length";
    static final String VALUE_LENGTH = "attention.value_length";
    static final String RMS_EPS = "attention.layer_norm_rms_epsilon";
    static final String ROPE_FREQ_BASE = "rope.freq_base";
    static final String ROPE_DIMENSION_COUNT = "rope.dimension_count";
    static final String VOCAB_SIZE = "vocab_size";
    static final String EXPERT_COUNT = "expert_count";
    static final String EXPERT_USED_COUNT = "expert_used_count";
    static final String EXPERT_FEED_FORWARD_LENGTH = "expert_feed_forward_length";

    static final String TOKENIZER_MODEL = "tokenizer.ggml.model";
    static final String TOKENIZER_PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    static final String EOT_ID = "tokenizer.ggml.eot_token_id";
    static final String PAD_ID = "tokenizer.ggml.padding_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** Veil's own keys: what llama.cpp does not need but a faithful GGUF -> Hugging Face import does. */
    static final String VEIL_HF_ARCHITECTURE = "veil.hf_architecture";

    static final String VEIL_EOS_IDS = "veil.eos_token_ids";
    static final String VEIL_ROPE_FACTOR = "veil.rope_scaling.factor";
    static final String VEIL_ROPE_LOW = "veil.rope_scaling.low_freq_factor";
    static final String VEIL_ROPE_HIGH = "veil.rope_scaling.high_freq_factor";
    static final String VEIL_ROPE_ORIGINAL_CONTEXT = "veil.rope_scaling.original_max_position_embeddings";

    /** llama_ftype values (gguf-py LlamaFileType). */
    static final int FILE_TYPE_F32 = 0,
            FILE_TYPE_F16 = 1,
            FILE_TYPE_BF16 = 32,
            FILE_TYPE_Q8_0 = 7,
            FILE_TYPE_Q4_K_S = 14,
            FILE_TYPE_Q4_K_M = 15;
}
