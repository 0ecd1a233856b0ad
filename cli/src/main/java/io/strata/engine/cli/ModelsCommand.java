// `strata models`: the architectures and weight formats this build reads.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.compression.ggml.GgmlType;
import io.strata.engine.checkpoint.gguf.GgufCheckpoint;
import io.strata.engine.model.Architecture;
import io.strata.engine.model.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the model architectures and weight formats Strata reads (from the code that reads them).")
public final class ModelsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "also write the lists as JSON to this file")
    Path json;

    /** What each container holds that Strata reads, and what becomes of it. */
    static final Map<String, String> FORMATS = Map.of(
            "safetensors", "F32, F16, BF16 served as stored; F8_E4M3 with block scales (weight_scale_inv, "
                    + "quantization_config.weight_block_size, default 128x128): experts kept as FP8 by strata pack (codec fp8), "
                    + "dense tensors dequantized to F32; gpt-oss MXFP4 experts (U8 *_blocks + e8m0 *_scales, 32-element blocks): "
                    + "pack keeps them as mxfp4, a checkpoint folder decodes them",
            "gguf", "strata pack --model FILE.gguf: v2/v3, one file or NAME-0000N-of-0000M.gguf shards; F32, F16, BF16 served as stored; "
                    + "experts of the kept types keep their blocks (codec gguf-<type>), gpt-oss MXFP4 experts are kept as mxfp4, "
                    + "other types are dequantized to F32 (experts then encoded by pack --codec, bf16 by default)",
            "store", "a folder written by strata pack (codecs bf16, int8/4/3/2, mxfp4, floe, fp8, gguf-<type>)");

    @Override
    public Integer call() throws Exception {
        List<GgmlType> ggml = Arrays.stream(GgmlType.values()).filter(t -> t.dequantizable).toList();
        Map<String, String> ggufArch = new TreeMap<>(GgufCheckpoint.ARCHITECTURES);
        System.out.println("Architectures (config.json model_type, transformers class, GGUF general.architecture):");
        for (Architecture a : Architecture.values()) {
            String g = ggufArch.entrySet().stream().filter(e -> e.getValue().equals(a.modelType)).map(Map.Entry::getKey)
                    .reduce((x, y) -> x + ", " + y).orElse("-");
            System.out.printf("  %-12s %-22s %s%n", a.modelType, ModelConfig.causalLmClass(a.modelType), g);
        }
        System.out.println("Formats:");
        for (String f : new TreeMap<>(FORMATS).keySet()) System.out.printf("  %-12s %s%n", f, FORMATS.get(f));
        System.out.println("GGUF tensor types read: " + ggml);
        // The types whose expert bytes stay quantized through every tier (a CPU and a CUDA kernel reads them).
        List<GgmlType> kept = ggml.stream().filter(io.strata.compression.codec.GgmlCodec.KEPT::contains).toList();
        System.out.println("Kept quantized through the tiers (experts): GGUF " + kept + ", safetensors F8_E4M3 with block scales");
        System.out.println("GGUF tokenizers converted: tokenizer.ggml.model 'llama' (SentencePiece BPE), 'gpt2' with pre-tokenizer qwen2, "
                + "llama-bpe, default, gpt-2, olmo, dbrx (others: strata pack --tokenizer DIR)");
        if (json != null) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode root = om.createObjectNode();
            ArrayNode archs = root.putArray("architectures");
            for (Architecture a : Architecture.values()) {
                ObjectNode o = archs.addObject().put("model_type", a.modelType).put("class", ModelConfig.causalLmClass(a.modelType));
                ggufArch.forEach((k, v) -> {
                    if (v.equals(a.modelType)) o.put("gguf", k);
                });
            }
            ObjectNode formats = root.putObject("formats");
            new TreeMap<>(FORMATS).forEach(formats::put);
            ArrayNode types = root.putArray("gguf_types");
            ggml.forEach(t -> types.add(t.name()));
            ArrayNode keptTypes = root.putArray("kept_quantized");
            kept.forEach(t -> keptTypes.add(t.name()));
            keptTypes.add("F8_E4M3");
            om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);
        }
        return 0;
    }
}
