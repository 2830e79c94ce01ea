package io.funnel.engine.admin;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Opens engine's package-private {@code HeadlessChromium} (from the engine test-jar) to this module's tests without
 * copying it: a thin public face in the same package. Not thread-safe, like the browser it drives.
 */
public final class ChromiumPage implements AutoCloseable {
    private final HeadlessChromium browser;

    /** Opens {@code url} in a headless Chromium started from {@code binary} with the profile folder {@code profile}. */
    public ChromiumPage(final String binary, final Path profile, final String url) throws Exception {
        browser = new HeadlessChromium(binary, profile, url);
    }

    /** The installed Chromium binary, or {@code null} when there is none. */
    public static String find() {
        return HeadlessChromium.find();
    }

    /** Evaluates a JavaScript expression in the page; its value as text. */
    public String evaluate(final String expression) throws Exception {
        return browser.evaluate(expression);
    }

    /** Polls {@code expression} until it is {@code true} or {@code timeout} passes. */
    public boolean waitFor(final String expression, final Duration timeout) throws Exception {
        return browser.waitFor(expression, timeout);
    }

    /** Writes a PNG screenshot of the whole page. */
    public void screenshot(final Path file) throws Exception {
        browser.screenshot(file);
    }

    @Override
    public void close() {
        browser.close();
    }
}
