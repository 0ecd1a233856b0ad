// Entry point of the strata command line.
package io.strata.engine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "strata", mixinStandardHelpOptions = true, version = "strata 0.1.0",
        description = "Run Mixture-of-Experts language models on small fast memory.")
public final class StrataCli implements Runnable {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new StrataCli());
        cl.addSubcommand(new DemoCommand());
        cl.addSubcommand(new RunCommand());
        cl.addSubcommand(new ChatCommand());
        cl.addSubcommand(new ServeCommand());
        cl.addSubcommand(new TokenizeCommand());
        cl.addSubcommand(new TraceCommand());
        cl.addSubcommand(BenchCommand.commandLine()); // its help lists the presets with their sizes
        cl.addSubcommand(new PackCommand());
        cl.addSubcommand(new CompressCommand());
        cl.addSubcommand(new PredictCommand());
        cl.addSubcommand(new ModelsCommand());
        cl.addSubcommand(new CalibrateCommand());
        cl.addSubcommand(new PlanCommand());
        // Bad input ends with one clear line (file, tensor, expectation), not a stack trace.
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("strata " + cmd.getCommandName() + ": " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (Boolean.getBoolean("strata.debug")) ex.printStackTrace(cmd.getErr());
            return 2;
        });
        return cl;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
