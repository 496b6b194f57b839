package dev.veil.tokenizer;

import java.util.List;

/** Short texts that exercise the corners of pre-tokenizer regexes, normalizers and byte handling. */
final class TrickyTexts {
    private TrickyTexts() {}

    static final List<String> ALL = List.of(
            "", " ", "  ", "\t", "\n", "\n\n\n", "\t\n", "  \n\n  x", "\r\n\r\nA", "trailing   ",
            "Hello world", " Hello world", "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
            "3", "33", "333", "3333", "3333333 12.5 1,000,000 ١٢٣ ½ ²",
            "it's IT'S it'Ll we'VE 'ſ 'K it\u2019s", "can't won't I'd",
            "emoji 🦙🚀😶‍🌫️ ok ✅", "👨‍👩‍👧‍👦 family", "中文测试，你好！", "日本語のテキスト、カタカナ", "한국어 텍스트",
            "нещо на Български", "कान्तिपुर", "ကာန်တဲ", "Über naïve café", "e\u0301 a\u0308 combining", "Ω ohm \u2126",
            "a\u00A0b a\u00A0 b x \u00A0 y \u00A0\u00A0", "x\u3000\u3000y", "a\u2028b\u2029c", "Hello\u0085 world",
            "a\u200Bb\u200D", "\u1680x", "\u000Bx\u000C", "\u001Cx y", "\u00ADsoft", "\uFEFFbom",
            "tabs\tand\tspaces  \t mixed", "    indented\n    code()", "def f(x):\n\treturn x**2  # comment",
            "<html><body class=\"x\">&amp;</body></html>", "https://example.com/path?q=1&r=2#frag",
            "¯\\_(ツ)_/¯", "{\"json\": [1, 2.5e-3, null]}", "C:\\Windows\\System32", "$$$ %%% ^^^",
            "<|im_start|>user\nHi<|im_end|>\n", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
            "<s>[INST] Hi [/INST]</s>", "x<think>reason</think>y", " <|endoftext|> ", "<|im_end", "<unk><s></s>",
            "\uD83E\uDD99".repeat(20), "a".repeat(300), " ".repeat(50) + "x");
}
