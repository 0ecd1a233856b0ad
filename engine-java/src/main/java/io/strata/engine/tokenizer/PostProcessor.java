// Post-processors of tokenizer.json, reduced to what matters for ids: which special tokens
// encode(text, addSpecialTokens=true) puts around a single sequence.
package io.strata.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

interface PostProcessor {
    /** Adds nothing (ByteLevel post-processing only adjusts offsets). */
    PostProcessor NONE = ids -> ids;

    /** @return (n + added) ids with the special tokens in place */
    int[] apply(int[] ids);

    /** BOS first and/or EOS last, as tokenizer_config.json's add_bos_token / add_eos_token ask; -1 means none. */
    static PostProcessor bosEos(int bos, int eos) {
        return ids -> {
            IntList out = new IntList(ids.length + 2);
            if (bos >= 0) out.add(bos);
            out.addAll(ids);
            if (eos >= 0) out.add(eos);
            return out.toArray();
        };
    }

    static PostProcessor fromJson(JsonNode node, String file) throws TokenizerFormatException {
        String type = Json.type(node, file, "post_processor");
        return switch (type) {
            case "ByteLevel" -> NONE;
            case "TemplateProcessing" -> template(node, file);
            case "BertProcessing", "RobertaProcessing" -> {
                JsonNode cls = node.get("cls"), sep = node.get("sep");
                if (cls == null || sep == null || !cls.isArray() || !sep.isArray() || cls.size() != 2 || sep.size() != 2) {
                    throw new TokenizerFormatException(file + ": " + type + " expected \"cls\" and \"sep\" as [token, id]");
                }
                yield bosEos(cls.get(1).asInt(), sep.get(1).asInt());
            }
            case "Sequence" -> {
                List<PostProcessor> parts = new ArrayList<>();
                for (JsonNode n : Json.array(node, "processors", file, "Sequence post_processor")) parts.add(fromJson(n, file));
                yield ids -> {
                    for (PostProcessor p : parts) ids = p.apply(ids);
                    return ids;
                };
            }
            default -> throw new TokenizerFormatException(file + ": unsupported post_processor type '" + type + "'");
        };
    }

    /** The "single" template: a list of {"SpecialToken": {"id": name}} and {"Sequence": {"id": "A"}} items. */
    private static PostProcessor template(JsonNode node, String file) throws TokenizerFormatException {
        JsonNode single = Json.array(node, "single", file, "TemplateProcessing post_processor");
        JsonNode specials = node.path("special_tokens");
        List<int[]> items = new ArrayList<>(); // null marks the sequence itself; else the special ids to insert
        for (JsonNode item : single) {
            if (item.has("Sequence")) {
                items.add(null);
            } else if (item.has("SpecialToken")) {
                String name = item.get("SpecialToken").path("id").asText();
                JsonNode spec = specials.get(name);
                if (spec == null || !spec.path("ids").isArray()) {
                    throw new TokenizerFormatException(file + ": TemplateProcessing special token '" + name + "' missing from \"special_tokens\"");
                }
                int[] ids = new int[spec.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = spec.get("ids").get(i).asInt();
                items.add(ids);
            } else {
                throw new TokenizerFormatException(file + ": TemplateProcessing item expected \"Sequence\" or \"SpecialToken\", found " + Json.abbreviate(item));
            }
        }
        return ids -> {
            IntList out = new IntList(ids.length + 4);
            for (int[] item : items) out.addAll(item == null ? ids : item);
            return out.toArray();
        };
    }
}
