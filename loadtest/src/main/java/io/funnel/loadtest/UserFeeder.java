package io.funnel.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws the user id of each virtual user. Implementations are immutable after construction and may be shared by
 * every I/O thread; the randomness comes from the caller's {@link SplittableRandom}.
 */
@FunctionalInterface
public interface UserFeeder {
    /** The next user id. */
    long next(SplittableRandom random);

    /** Ids drawn uniformly from {@code first..last} inclusive. */
    static UserFeeder uniform(final long first, final long last) {
        if (last < first) {
            throw new IllegalArgumentException("uniform users: last (" + last + ") is below first (" + first + ")");
        }
        final long span = last - first + 1;
        return r -> first + r.nextLong(span);
    }

    /**
     * Ids {@code 1..n} drawn with Zipf's law: id {@code i} has weight {@code 1 / i^exponent}, so a few users make
     * most requests (as on a real site). Built once as a cumulative table of {@code n} doubles; a draw is a binary
     * search.
     */
    static UserFeeder zipf(final int n, final double exponent) {
        if (n < 1 || n > 20_000_000) {
            throw new IllegalArgumentException("zipf users: n must be 1..20000000, got " + n);
        }
        if (!(exponent > 0) || exponent > 10) {
            throw new IllegalArgumentException("zipf users: exponent must be in (0, 10], got " + exponent);
        }
        final double[] cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, exponent);
            cumulative[i] = sum;
        }
        final double total = sum;
        return r -> {
            final int at = Arrays.binarySearch(cumulative, r.nextDouble() * total);
            return 1L + (at >= 0 ? at : Math.min(-at - 1, n - 1));
        };
    }

    /**
     * The user id of a random line of an interactions file (a CSV with a header holding {@code user_id}, as written
     * by {@code funnel generate}), so users appear as often as they do in the log.
     *
     * @throws IllegalArgumentException naming the file and line when it has no {@code user_id} column or a bad id
     */
    static UserFeeder fromInteractions(final Path file) {
        long[] ids = new long[1 << 16];
        int size = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            final String header = in.readLine();
            final int column = header == null ? -1 : Arrays.asList(header.trim().split(",")).indexOf("user_id");
            if (column < 0) {
                throw new IllegalArgumentException(file + ": line 1 must be a CSV header with a user_id column");
            }
            String line;
            int lineNo = 1;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                final String[] fields = line.split(",", column + 2);
                try {
                    if (size == ids.length) {
                        ids = Arrays.copyOf(ids, size * 2);
                    }
                    ids[size++] = Long.parseLong(fields[column].trim());
                } catch (final NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    throw new IllegalArgumentException(file + ": line " + lineNo + ": user_id is not an integer");
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read interactions file " + file, e);
        }
        if (size == 0) {
            throw new IllegalArgumentException(file + ": no interactions");
        }
        final long[] all = Arrays.copyOf(ids, size);
        return r -> all[r.nextInt(all.length)];
    }
}
