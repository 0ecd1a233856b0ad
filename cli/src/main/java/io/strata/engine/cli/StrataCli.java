// Entry point of the strata command line.
package io.strata.engine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

@Command(name = "strata", mixinStandardHelpOptions = true, version = "strata 0.1.0",
        description = "Run Mixture-of-Experts language models on small fast memory.")
public final class StrataCli implements Runnable {
    /**
     * Each subcommand by its name, in the order help lists them. A factory, not an instance: picocli reads a command's
     * annotations when it is added, and a run needs only its own (about 100 ms of a cold start for all of them).
     */
    static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();
    static {
        SUBCOMMANDS.put("demo", DemoCommand::new);
        SUBCOMMANDS.put("run", RunCommand::new);
        SUBCOMMANDS.put("chat", ChatCommand::new);
        SUBCOMMANDS.put("serve", ServeCommand::new);
        SUBCOMMANDS.put("tokenize", TokenizeCommand::new);
        SUBCOMMANDS.put("trace", TraceCommand::new);
        SUBCOMMANDS.put("bench", BenchCommand::commandLine); // its help lists the presets with their sizes
        SUBCOMMANDS.put("pack", PackCommand::new);
        SUBCOMMANDS.put("compress", CompressCommand::new);
        SUBCOMMANDS.put("predict", PredictCommand::new);
        SUBCOMMANDS.put("models", ModelsCommand::new);
        SUBCOMMANDS.put("calibrate", CalibrateCommand::new);
        SUBCOMMANDS.put("plan", PlanCommand::new);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args.length > 0 ? args[0] : null).execute(args));
    }

    /** The whole command tree. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command tree for a command line whose first argument is {@code first}: only that subcommand when it names
     * one; every subcommand otherwise (help, options of strata itself, and picocli's suggestions for a mistyped name).
     */
    static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new StrataCli());
        Supplier<Object> only = first == null ? null : SUBCOMMANDS.get(first);
        if (only != null) cl.addSubcommand(only.get());
        else for (Supplier<Object> sub : SUBCOMMANDS.values()) cl.addSubcommand(sub.get());
        // Bad input ends with one clear line (file, tensor, expectation), not a stack trace.
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("strata " + cmd.getCommandName() + ": " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (Boolean.getBoolean("strata.debug")) ex.printStackTrace(cmd.getErr());
            return 2;
        });
        return cl;
    }

    @Spec
    CommandSpec spec;

    /** No subcommand: the usage, with every subcommand listed. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
