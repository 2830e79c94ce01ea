package io.funnel.engine.cli;

import io.funnel.engine.FunnelException;
import io.funnel.engine.config.ConfigException;
import io.funnel.engine.data.DataFileException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code funnel} command line. Commands that live in other modules (the load-test harness and the benchmarks)
 * are mounted by class name when they are on the class path, so the engine does not depend on them.
 */
@Command(
        name = "funnel",
        mixinStandardHelpOptions = true,
        version = "funnel 0.1.0",
        description = "Funnel: a reactive, low-latency recommendation serving engine.",
        subcommands = {
            GenerateCommand.class,
            ServeCommand.class,
            DemoCommand.class,
            EvalCommand.class,
            TrainCommand.class,
            CommandLine.HelpCommand.class
        })
public final class FunnelCli implements Callable<Integer> {
    /** Optional top-level commands from other modules: name → class. */
    private static final List<String[]> OPTIONAL =
            List.<String[]>of(new String[] {"load", "io.funnel.loadtest.LoadCommand"});

    /** Optional {@code funnel bench …} subcommands from other modules: name → class. */
    private static final List<String[]> BENCHMARKS = List.of(
            new String[] {"http", "io.funnel.loadtest.HttpBenchCommand"},
            new String[] {"loadgen", "io.funnel.loadtest.LoadgenBenchCommand"},
            new String[] {"ann", "io.funnel.loadtest.ann.AnnBenchCommand"},
            new String[] {"features", "io.funnel.loadtest.features.FeaturesBenchCommand"},
            new String[] {"ingest", "io.funnel.loadtest.ingest.IngestBenchCommand"},
            new String[] {"model", "io.funnel.loadtest.model.ModelBenchCommand"},
            new String[] {"binary", "io.funnel.loadtest.binary.BinaryBenchCommand"});

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** Builds the command line with every available subcommand. */
    public static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new FunnelCli());
        for (final String[] optional : OPTIONAL) {
            final Object command = instantiate(optional[1]);
            if (command != null) {
                cli.addSubcommand(optional[0], command);
            }
        }
        final CommandLine bench = new CommandLine(new BenchCommand());
        bench.addSubcommand("rerank", new RerankBenchCommand());
        for (final String[] b : BENCHMARKS) {
            final Object command = instantiate(b[1]);
            if (command != null) {
                bench.addSubcommand(b[0], command);
            }
        }
        cli.addSubcommand("bench", bench);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Expected failures (bad config, bad data file) get one clear line, not a stack trace.
            if (e instanceof ConfigException || e instanceof DataFileException || e instanceof IllegalArgumentException
                    || e instanceof FunnelException || e instanceof io.funnel.model.ModelException
                    || e instanceof io.funnel.features.FeatureStoreException) {
                commandLine.getErr().println("funnel: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    private static Object instantiate(final String className) {
        try {
            return Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (final ClassNotFoundException e) {
            return null;
        } catch (final ReflectiveOperationException e) {
            throw new FunnelException("cannot create command " + className, e);
        }
    }

    /** Entry point of {@code ./funnel}. */
    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** {@code funnel bench …}: the benchmarks, each a subcommand. */
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Benchmarks (each compares Funnel against a peer in the same run).")
    static final class BenchCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(System.out);
            return 0;
        }
    }
}
