package io.funnel.engine.cli;

import io.funnel.engine.config.FunnelConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code funnel serve}: builds the serving state from the configured data and serves the HTTP API. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the HTTP API (POST /v1/recommend, POST /v1/events, /v1/stats, /metrics, /health/*)"
                + " and the binary endpoint (SBE frames over TCP on server.binaryPort).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "config/funnel.yaml",
            description = "Configuration file (default ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--port", description = "Override server.port.")
    Integer port;

    @Option(names = "--binary-port", description = "Override server.binaryPort (0 = a free port, -1 = off).")
    Integer binaryPort;

    @Option(names = "--duration", defaultValue = "0",
            description = "Stop after this many seconds (default: run until Ctrl-C).")
    long durationSeconds;

    @Override
    public Integer call() throws Exception {
        final FunnelConfig cfg = FunnelConfig.load(config);
        if (port != null) {
            cfg.server.port = port;
            cfg.validate("--port");
        }
        if (binaryPort != null) {
            cfg.server.binaryPort = binaryPort;
            cfg.validate("--binary-port");
        }
        return Boot.serve(cfg, Boot.loadData(cfg), durationSeconds, (server, state) -> { });
    }
}
