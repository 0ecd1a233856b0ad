// `strata tokenize`: encodes text to token ids, or decodes ids to text, with a checkpoint's tokenizer.
package io.strata.engine.cli;

import io.strata.engine.tokenizer.Tokenizer;
import io.strata.engine.tokenizer.TokenizerFormatException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode text to token ids (printed as a JSON array) or decode token ids to text,",
                "with the tokenizer.json of a Hugging Face checkpoint."})
public final class TokenizeCommand implements Callable<Integer> {
    /** Exit status for bad input: a missing or unreadable tokenizer, or ids that do not parse. */
    static final int EXIT_BAD_INPUT = 2;

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "Checkpoint folder holding tokenizer.json, or the tokenizer.json file.")
    Path tokenizer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text to encode.")
        String text;

        @Option(names = "--decode", paramLabel = "IDS", description = "Ids to decode: a JSON array [1,2,3] or a comma list 1,2,3.")
        String decode;
    }

    @Option(names = "--add-special", description = "When encoding, add the checkpoint's special tokens (e.g. BOS).")
    boolean addSpecial;

    @Option(names = "--skip-special", description = "When decoding, leave out special tokens.")
    boolean skipSpecial;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Tokenizer tok;
        try {
            tok = Tokenizer.load(tokenizer);
        } catch (NoSuchFileException e) {
            err.println("strata tokenize: no tokenizer at " + e.getFile() + (e.getReason() != null ? " (" + e.getReason() + ")" : ""));
            return EXIT_BAD_INPUT;
        } catch (TokenizerFormatException e) {
            err.println("strata tokenize: " + e.getMessage());
            return EXIT_BAD_INPUT;
        } catch (IOException e) {
            err.println("strata tokenize: cannot read " + tokenizer + ": " + e);
            return EXIT_BAD_INPUT;
        }
        if (mode.text != null) {
            int[] ids = tok.encode(mode.text, addSpecial);
            out.println(formatIds(ids));
        } else {
            int[] ids;
            try {
                ids = parseIds(mode.decode);
            } catch (IllegalArgumentException e) {
                err.println("strata tokenize: --decode " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            out.println(tok.decode(ids, skipSpecial));
        }
        out.flush();
        return 0;
    }

    /** Ids as a JSON array without spaces, "[1,2,3]": what {@link #parseIds} reads back. */
    static String formatIds(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
    }

    /** Ids from "[1, 2, 3]" or "1,2,3" (whitespace allowed; an empty list is allowed). */
    static int[] parseIds(String s) {
        String body = s.strip();
        if (body.startsWith("[")) {
            if (!body.endsWith("]")) throw new IllegalArgumentException("expected a JSON array ending in ']', found '" + s + "'");
            body = body.substring(1, body.length() - 1).strip();
        }
        if (body.isEmpty()) return new int[0];
        String[] parts = body.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected integer ids, found '" + p + "' at position " + i + " of '" + s + "'");
            }
            if (ids[i] < 0) throw new IllegalArgumentException("expected non-negative ids, found " + ids[i] + " at position " + i);
        }
        return ids;
    }
}
