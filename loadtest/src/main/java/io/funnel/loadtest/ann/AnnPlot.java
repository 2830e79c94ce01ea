package io.funnel.loadtest.ann;

import java.util.Locale;
import java.util.Map;

/** Draws the recall@10 / QPS curves of a benchmark run as a self-contained SVG (log QPS axis). */
final class AnnPlot {
    private static final String[] COLOURS = {"#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"};
    private static final int W = 720;
    private static final int H = 440;
    private static final int LEFT = 70;
    private static final int RIGHT = 170;
    private static final int TOP = 30;
    private static final int BOTTOM = 50;

    private AnnPlot() {}

    static String svg(final String title, final Map<String, AnnBenchCommand.EngineReport> reports) {
        double minRecall = 1;
        double minQps = Double.MAX_VALUE;
        double maxQps = 0;
        for (final AnnBenchCommand.EngineReport r : reports.values()) {
            for (final AnnBenchCommand.SweepPoint p : r.sweep()) {
                minRecall = Math.min(minRecall, p.recall());
                minQps = Math.min(minQps, p.qps());
                maxQps = Math.max(maxQps, p.qps());
            }
        }
        final double x0 = Math.max(0, Math.floor(Math.min(minRecall, 0.9) * 20) / 20);
        final double y0 = Math.log10(Math.max(1, minQps * 0.8));
        final double y1 = Math.log10(Math.max(10, maxQps * 1.2));
        final int pw = W - LEFT - RIGHT;
        final int ph = H - TOP - BOTTOM;
        final StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">%s: recall@10 vs"
                + " single-thread QPS (log)</text>%n", LEFT, title));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
                + " stroke=\"#999\"/>%n", LEFT, TOP, pw, ph));
        for (double r = x0; r <= 1.0001; r += 0.02) {
            final double x = LEFT + (r - x0) / (1 - x0) * pw;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.2f</text>%n",
                    x, TOP, x, TOP + ph, x, TOP + ph + 16, r));
        }
        for (int e = (int) Math.floor(y0); e <= Math.ceil(y1); e++) {
            for (final int mult : new int[] {1, 2, 5}) {
                final double v = Math.log10(mult * Math.pow(10, e));
                if (v < y0 || v > y1) {
                    continue;
                }
                final double y = TOP + ph - (v - y0) / (y1 - y0) * ph;
                sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                        + " stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%,.0f</text>%n",
                        LEFT, y, LEFT + pw, y, LEFT - 6, y + 4, Math.pow(10, v)));
            }
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">recall@10</text>%n",
                LEFT + pw / 2, H - 10));
        int i = 0;
        for (final AnnBenchCommand.EngineReport r : reports.values()) {
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder pts = new StringBuilder();
            for (final AnnBenchCommand.SweepPoint p : r.sweep()) {
                final double x = LEFT + (Math.max(p.recall(), x0) - x0) / (1 - x0) * pw;
                final double y = TOP + ph - (Math.log10(p.qps()) - y0) / (y1 - y0) * ph;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n",
                        x, y, colour));
            }
            sb.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"")
                    .append(pts.toString().trim()).append("\"/>\n");
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", W - RIGHT + 15, TOP + 10 + 18 * i, colour,
                    W - RIGHT + 32, TOP + 15 + 18 * i, r.name()));
            i++;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }
}
