// The codecs by manifest name.
package io.strata.compression.codec;

import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import java.util.List;

public final class ExpertCodecs {
    private ExpertCodecs() {}

    /**
     * Names {@link #byName} accepts besides "int&lt;B&gt;-g&lt;G&gt;", "floe-int&lt;B&gt;-g&lt;G&gt;", "fp8-b&lt;R&gt;x&lt;C&gt;" and the
     * ggml K-quants ("gguf-q4_k", "gguf-q5_k", "gguf-q6_k", "gguf-&lt;gate&gt;-&lt;up&gt;-&lt;down&gt;": rows of 256, kept from GGUF
     * files only).
     */
    public static final List<String> NAMES = List.of("bf16", "int8", "int4", "int3", "int2", "floe", "floe-bf16up", "fp8", "gguf-q8_0", "mxfp4");

    /**
     * The codec written as {@code name} in a manifest. Quantized codecs use the default HQQ fit;
     * floe starts with threshold 0 (the calibrated per-layer threshold travels in the params).
     */
    public static ExpertCodec byName(String name) {
        return switch (name) {
            case "bf16" -> new Bf16Codec();
            case "int8", "int4", "int3", "int2" -> new GroupQuantCodec(new QuantFormat(Integer.parseInt(name.substring(3)), 64));
            case "floe" -> new FloeCodec();
            case "mxfp4" -> new Mxfp4Codec();
            case Fp8Codec.NAME -> new Fp8Codec(128, 128);
            case "floe-bf16up" -> new FloeCodec(null, HqqFit.DEFAULT, 0f);
            default -> {
                if (name.startsWith(Fp8Codec.NAME + "-")) yield Fp8Codec.parse(name);
                if (name.startsWith(GgmlCodec.PREFIX)) yield GgmlCodec.parse(name);
                if (name.startsWith("floe-int")) {
                    yield new FloeCodec(QuantFormat.parse(name.substring(5)), HqqFit.DEFAULT, 0f);
                }
                if (name.matches("int\\d+-g\\d+")) yield new GroupQuantCodec(QuantFormat.parse(name));
                throw new IllegalArgumentException("unknown expert codec '" + name + "'; known: " + NAMES
                        + " and int<bits>-g<group>, floe-int<bits>-g<group>, fp8-b<rows>x<cols>, gguf-<gate>-<up>-<down>");
            }
        };
    }
}
