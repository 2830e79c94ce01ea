package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.admin.ChromiumPage;
import io.funnel.loadtest.http.HttpDriver;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTML report of a real run opens in headless Chromium from the file alone (no network) and its plots render:
 * every uPlot canvas has drawn pixels. Skipped with a message where Debian's {@code chromium} is not installed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoadReportIT {
    @Test
    void reportRendersItsPlotsInChromium() throws Exception {
        final String chromium = ChromiumPage.find();
        Assumptions.assumeTrue(chromium != null, "Chromium not installed (apt-get install chromium); skipping the"
                + " report's browser check");
        final Path dir = Path.of("target", "load-report-it").toAbsolutePath();
        try (LocalServer server = LocalServer.open()) {
            final Simulation sim = Simulation.builder("report-it").warmup(Duration.ofMillis(500))
                    .population(Scenario.named("mixed").exec(RequestSpec.ping()).exec(RequestSpec.ping().named("again"))
                            .inject(Injection.ramp(50, 300, Duration.ofSeconds(4))))
                    .assertion("p99<1s").assertion("errors<1%").build();
            final RunResult run;
            try (Driver driver = new HttpDriver(server.uri(), DriverOptions.defaults())) {
                run = LoadRunner.run(sim, driver);
            }
            Report.write(dir, run, sim.assertions().stream().map(a -> a.evaluate(run)).toList(),
                    new Report.Extras(server.uri().toString(),
                            ServerStats.breakdown(ReportTest.stats(0, 0, 0), ReportTest.stats(500, 300, 2)), null,
                            null));
        }

        final Path profile = Files.createTempDirectory(Path.of("target"), "chromium-profile");
        try (ChromiumPage page = new ChromiumPage(chromium, profile, dir.resolve("index.html").toUri().toString())) {
            assertTrue(page.waitFor("window.__reportReady === true", Duration.ofSeconds(30)),
                    "the page's script ran to the end");
            assertEquals("3", page.evaluate("String(window.__reportPlots)"), "distribution, latency, throughput");
            // Each plot canvas has non-transparent pixels: the series were drawn, not just the frame.
            final String drawn = page.evaluate("""
                    JSON.stringify([...document.querySelectorAll('.uplot canvas')].map(c => {
                      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let n = 0;
                      for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
                      return n;
                    }))""");
            final List<Integer> pixels = List.of(drawn.replaceAll("[\\[\\]]", "").split(",")).stream()
                    .map(String::trim).map(Integer::parseInt).toList();
            assertEquals(3, pixels.size(), "three canvases: " + drawn);
            assertTrue(pixels.stream().allMatch(n -> n > 2_000), "every plot drew pixels: " + drawn);
            // The tables came from the same data.
            assertTrue(page.evaluate("document.getElementById('requests').innerText").contains("again"));
            assertTrue(page.evaluate("document.getElementById('stages').innerText").contains("retrieve"));
            assertTrue(page.evaluate("document.getElementById('assertions').innerText").contains("PASS"));
            final Path png = dir.resolve("screenshot.png");
            page.screenshot(png);
            assertTrue(Files.size(png) > 20_000, "screenshot of the rendered report: " + Files.size(png) + " bytes");
        }
    }
}
