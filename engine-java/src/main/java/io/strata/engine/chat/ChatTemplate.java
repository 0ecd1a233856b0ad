// The chat template of a Hugging Face checkpoint (tokenizer_config.json "chat_template", or
// chat_template.jinja / chat_template.json beside it), rendered with Jinjava the way transformers
// renders it with Jinja2: trim_blocks and lstrip_blocks on, bos_token / eos_token / raise_exception /
// strftime_now defined, Python str and dict methods and the items filter available.
package io.strata.engine.chat;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat template: turns a conversation into the prompt text the model was trained on.
 * Instances are immutable and may be shared between threads.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TAG = Pattern.compile("\\{\\{.*?}}|\\{%.*?%}", Pattern.DOTALL);
    private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][\\w.]*)\\s*\\[\\s*:\\s*:\\s*-1\\s*]");

    private final String source;     // the template as the checkpoint ships it
    private final String translated; // the same template in the dialect Jinjava parses
    private final String bosToken;   // "" when the checkpoint names none
    private final String eosToken;
    private final Jinjava jinjava;
    private String origin = "chat template"; // the file it came from, named in render errors

    private ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.translated = translate(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        // Jinja2 semantics where Jinjava offers them: "-" whitespace control on expressions, natural
        // operator precedence ('a' + x|trim filters x only), dict iteration over keys, map literal keys
        // evaluated, Python-style printing of lists and dicts.
        LegacyOverrides python = LegacyOverrides.newBuilder()
                .withParseWhitespaceControlStrictly(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withUseNaturalOperatorPrecedence(true)
                .withIterateOverMapKeys(true)
                .withEvaluateMapKeys(true)
                .withUsePyishObjectMapper(true)
                .withKeepNullableLoopValues(true)
                .build();
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(python)
                .withElResolver(resolver)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                PythonMethods.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonToJson());
        jinjava.getGlobalContext().registerFilter(new Filter() {
            @Override
            public String getName() {
                return "items";
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return var instanceof Map<?, ?> m ? PythonMethods.items(m) : List.of();
            }
        });
    }

    /** A template from its source text, with the BOS / EOS strings it may refer to ("" for none). */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return new ChatTemplate(source, bosToken == null ? "" : bosToken, eosToken == null ? "" : eosToken);
    }

    /**
     * Loads the default chat template of a checkpoint.
     *
     * @param dir a checkpoint folder, or its tokenizer_config.json
     * @throws NoSuchFileException   the folder holds no chat template
     * @throws ChatTemplateException the files are malformed
     */
    public static ChatTemplate load(Path dir) throws IOException {
        return load(dir, "default");
    }

    /**
     * Loads a chat template of a checkpoint by name. tokenizer_config.json's "chat_template" may be a
     * string (the default template) or a list of {"name", "template"}; without it, chat_template.jinja
     * or chat_template.json in the same folder is used.
     */
    public static ChatTemplate load(Path dir, String name) throws IOException {
        return loadFrom(dir, name);
    }

    private static ChatTemplate of(String source, String bos, String eos, String origin) {
        ChatTemplate t = of(source, bos, eos);
        t.origin = origin;
        return t;
    }

    private static ChatTemplate loadFrom(Path dir, String name) throws IOException {
        Path folder = Files.isDirectory(dir) ? dir : dir.toAbsolutePath().getParent();
        Path configPath = Files.isDirectory(dir) ? dir.resolve("tokenizer_config.json") : dir;
        JsonNode config = Files.isRegularFile(configPath) ? readJson(configPath) : JSON.createObjectNode();
        String bos = tokenName(config.get("bos_token"));
        String eos = tokenName(config.get("eos_token"));
        JsonNode tpl = config.get("chat_template");
        String where = configPath.toString();
        if (tpl == null || tpl.isNull()) {
            Path jinja = folder.resolve("chat_template.jinja");
            Path json = folder.resolve("chat_template.json");
            if (Files.isRegularFile(jinja)) {
                return of(readText(jinja), bos, eos, jinja.toString());
            }
            if (Files.isRegularFile(json)) {
                tpl = readJson(json).get("chat_template");
                where = json.toString();
            }
            if (tpl == null || tpl.isNull()) {
                throw new NoSuchFileException(configPath.toString(), null,
                        "no \"chat_template\" in tokenizer_config.json and no chat_template.jinja or chat_template.json beside it");
            }
        }
        if (tpl.isTextual()) {
            if (!name.equals("default")) throw new ChatTemplateException(where + ": chat_template is a single template; found no template named '" + name + "'");
            return of(tpl.asText(), bos, eos, where);
        }
        if (tpl.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode t : tpl) {
                names.add(t.path("name").asText());
                if (t.path("name").asText().equals(name) && t.path("template").isTextual()) return of(t.get("template").asText(), bos, eos, where + " (template '" + name + "')");
            }
            throw new ChatTemplateException(where + ": chat_template has no template named '" + name + "' (found " + names + ")");
        }
        throw new ChatTemplateException(where + ": chat_template expected a string or a list of {name, template}, found " + tpl.getNodeType());
    }

    /**
     * A template from a file (the {@code --chat-template FILE} override): a Jinja source ({@code .jinja} or any
     * other text) or a JSON file with a "chat_template" string. BOS / EOS come from the checkpoint's
     * tokenizer_config.json when checkpointDir holds one.
     */
    public static ChatTemplate loadFile(Path file, Path checkpointDir) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "chat template file not found");
        Path config = checkpointDir == null ? null : checkpointDir.resolve("tokenizer_config.json");
        JsonNode c = config != null && Files.isRegularFile(config) ? readJson(config) : JSON.createObjectNode();
        String source;
        if (file.getFileName().toString().endsWith(".json")) {
            JsonNode t = readJson(file).get("chat_template");
            if (t == null || !t.isTextual()) throw new ChatTemplateException(file + ": expected a \"chat_template\" string");
            source = t.asText();
        } else {
            source = readText(file);
        }
        return of(source, tokenName(c.get("bos_token")), tokenName(c.get("eos_token")));
    }

    private static String readText(Path p) throws IOException {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ChatTemplateException(p + ": expected UTF-8 text, found undecodable bytes", e);
        }
    }

    private static JsonNode readJson(Path p) throws IOException {
        try {
            return JSON.readTree(p.toFile());
        } catch (JacksonException e) {
            throw new ChatTemplateException(p + ": malformed JSON: " + e.getOriginalMessage(), e);
        } catch (java.io.CharConversionException e) {
            // Jackson guessed an encoding (UTF-16/32) from the first bytes and found bytes that are none.
            throw new ChatTemplateException(p + ": expected UTF-8 JSON, found undecodable bytes: " + e.getMessage(), e);
        }
    }

    private static String tokenName(JsonNode v) {
        if (v == null || v.isNull()) return "";
        if (v.isObject()) return v.path("content").asText("");
        return v.asText();
    }

    /** The template as the checkpoint ships it. */
    public String source() {
        return source;
    }

    /** Renders a conversation; see {@link #render(List, boolean, Map)}. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation to prompt text.
     *
     * @param addGenerationPrompt end with the header of an assistant turn, ready for generation
     * @param variables           further template variables (e.g. enable_thinking=false for Qwen3, tools)
     * @throws ChatTemplateException the template fails, or calls raise_exception
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        ctx.putAll(variables);
        RenderResult r = jinjava.renderForResult(translated, ctx);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable cause = e.getException();
                while (cause != null && !(cause instanceof ChatTemplateException)) cause = cause.getCause();
                String message = cause != null ? cause.getMessage() : e.getMessage();
                throw new ChatTemplateException(origin + ": chat template error at line " + e.getLineno() + ": " + message, cause);
            }
        }
        return r.getOutput();
    }

    /** raise_exception(message) of transformers' template environment. */
    public static Object raiseException(String message) {
        throw new ChatTemplateException("raise_exception: " + message);
    }

    /**
     * Rewrites the Jinja2 constructs Jinjava does not parse, inside tags only: {@code seq[::-1]}
     * becomes {@code (seq|reverse)}, and the values of namespace(name=value, ...) are
     * parenthesised because Jinjava would otherwise bind {@code b=x|length - 1} as {@code (b=x|length) - 1}.
     */
    static String translate(String src) {
        Matcher m = TAG.matcher(src);
        StringBuilder out = new StringBuilder(src.length() + 64);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.append(src, last, m.start());
            String tag = m.group();
            last = m.end();
            tag = REVERSED.matcher(tag).replaceAll("($1|reverse)");
            out.append(parenthesizeNamespaceArgs(tag));
        }
        if (last < src.length()) out.append(src.substring(last));
        return out.toString();
    }

    private static String parenthesizeNamespaceArgs(String tag) {
        int at = tag.indexOf("namespace(");
        if (at < 0) return tag;
        int open = at + "namespace".length();
        int close = matching(tag, open);
        if (close < 0) return tag;
        List<String> args = splitTopLevel(tag.substring(open + 1, close));
        StringBuilder b = new StringBuilder();
        for (String arg : args) {
            if (!b.isEmpty()) b.append(", ");
            Matcher named = Pattern.compile("^\\s*([A-Za-z_]\\w*)\\s*=(?!=)(.*)$", Pattern.DOTALL).matcher(arg);
            b.append(named.matches() ? named.group(1) + "=(" + named.group(2).strip() + ")" : arg.strip());
        }
        return tag.substring(0, open + 1) + b + parenthesizeNamespaceArgs(tag.substring(close));
    }

    /** Index of the parenthesis closing the one at {@code open}, skipping string literals; -1 if none. */
    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) return i;
            }
        }
        return -1;
    }

    private static int skipString(String s, int i) {
        char q = s.charAt(i);
        for (int j = i + 1; j < s.length(); j++) {
            if (s.charAt(j) == '\\') j++;
            else if (s.charAt(j) == q) return j;
        }
        return s.length() - 1;
    }

    private static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') i = skipString(s, i);
            else if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (c == ',' && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        if (!s.substring(start).isBlank()) parts.add(s.substring(start));
        return parts;
    }

    /** tojson as transformers defines it: json.dumps(x, ensure_ascii=False), so ", " and ": " separators. */
    static final class PythonToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            int indent = args.length > 0 && args[0] != null ? Integer.parseInt(args[0].strip()) : -1;
            return toJson(var, indent);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return toJson(var, indent == null ? -1 : ((Number) indent).intValue());
        }

        static String toJson(Object v, int indent) {
            StringBuilder b = new StringBuilder();
            write(v, indent, 0, b);
            return b.toString();
        }

        private static void write(Object v, int indent, int depth, StringBuilder b) {
            if (v == null) {
                b.append("null");
            } else if (v instanceof Boolean || v instanceof Number) {
                b.append(v);
            } else if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(indent < 0 ? ", " : ",");
                    first = false;
                    newline(indent, depth + 1, b);
                    string(String.valueOf(e.getKey()), b);
                    b.append(": ");
                    write(e.getValue(), indent, depth + 1, b);
                }
                newline(indent, depth, b);
                b.append('}');
            } else if (v instanceof Iterable<?> it) {
                List<Object> items = new ArrayList<>();
                it.forEach(items::add);
                if (items.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append('[');
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) b.append(indent < 0 ? ", " : ",");
                    newline(indent, depth + 1, b);
                    write(items.get(i), indent, depth + 1, b);
                }
                newline(indent, depth, b);
                b.append(']');
            } else {
                string(v.toString(), b);
            }
        }

        private static void newline(int indent, int depth, StringBuilder b) {
            if (indent < 0) return;
            b.append('\n').append(" ".repeat(indent * depth));
        }

        private static void string(String s, StringBuilder b) {
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    case '\b' -> b.append("\\b");
                    case '\f' -> b.append("\\f");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            b.append('"');
        }
    }
}
