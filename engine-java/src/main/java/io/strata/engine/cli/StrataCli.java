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
        return cl;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
