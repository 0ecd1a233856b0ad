// Decoders of tokenizer.json: they turn the token strings of a sequence back into text. Each step
// maps a list of strings to a list of strings, exactly as the reference decode chain does
// (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence).
package io.strata.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

interface Decoder {
    List<String> decodeChain(List<String> tokens);

    static Decoder fromJson(JsonNode node, String file) throws TokenizerFormatException {
        String type = Json.type(node, file, "decoder");
        return switch (type) {
            case "ByteLevel" -> new ByteLevelDecoder();
            case "Replace" -> new Replace(Json.pattern(node, "pattern", file, "Replace decoder"), Json.text(node, "content", file, "Replace decoder"));
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> new Strip(Json.text(node, "content", file, "Strip decoder"),
                    node.path("start").asInt(0), node.path("stop").asInt(0));
            case "Metaspace" -> new MetaspaceDecoder(Json.textOr(node, "replacement", "\u2581"),
                    !PreTokenizer.prependScheme(node, file).equals("never"));
            case "Sequence" -> {
                List<Decoder> parts = new ArrayList<>();
                for (JsonNode n : Json.array(node, "decoders", file, "Sequence decoder")) parts.add(fromJson(n, file));
                yield tokens -> {
                    for (Decoder d : parts) tokens = d.decodeChain(tokens);
                    return tokens;
                };
            }
            default -> throw new TokenizerFormatException(file + ": unsupported decoder type '" + type + "'");
        };
    }

    /** Joins the bytes that every token's stand-in characters mean and reads them as UTF-8 (invalid bytes become U+FFFD). */
    final class ByteLevelDecoder implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) {
                boolean allMapped = true;
                for (int i = 0; i < t.length(); i++) {
                    if (ByteLevel.byteOf(t.charAt(i)) < 0) {
                        allMapped = false;
                        break;
                    }
                }
                if (allMapped) {
                    for (int i = 0; i < t.length(); i++) bytes.write(ByteLevel.byteOf(t.charAt(i)));
                } else {
                    // A token outside the byte alphabet (an added token such as "<think>" with other characters) stands for itself.
                    bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
                }
            }
            return List.of(bytes.toString(StandardCharsets.UTF_8));
        }
    }

    record Replace(Pattern pattern, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            String replacement = Matcher.quoteReplacement(content);
            for (String t : tokens) out.add(pattern.matcher(t).replaceAll(replacement));
            return out;
        }
    }

    /** Runs of "<0xNN>" tokens become the text their bytes spell; a run that is not valid UTF-8 becomes one U+FFFD per byte. */
    final class ByteFallback implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(t);
            }
            flush(run, out);
            return out;
        }

        private static void flush(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) return;
            byte[] bytes = run.toByteArray();
            run.reset();
            try {
                out.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException e) {
                out.add("\uFFFD".repeat(bytes.length));
            }
        }

        /** The byte value of a token "<0xNN>" (two upper- or lower-case hex digits), else -1. */
        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of {@code content} from every token. */
    record Strip(String content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int from = 0, to = t.length();
                for (int i = 0; i < start && t.startsWith(content, from) && from + content.length() <= to; i++) from += content.length();
                for (int i = 0; i < stop && to - content.length() >= from && t.startsWith(content, to - content.length()); i++) to -= content.length();
                out.add(t.substring(from, to));
            }
            return out;
        }
    }

    /** "▁" back to a space, and the space that prepend added removed from the first token. */
    record MetaspaceDecoder(String replacement, boolean stripFirst) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i).replace(replacement, " ");
                if (i == 0 && stripFirst && t.startsWith(" ")) t = t.substring(1);
                out.add(t);
            }
            return out;
        }
    }
}
