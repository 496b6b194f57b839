package dev.veil.attack.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.chart.SvgChart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** Writes an audit as JSON (every number) and as one self-contained HTML page (tables and inline SVG plots). */
public final class AuditReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AuditReport() {}

    /** Writes {@code <base>.json} and {@code <base>.html}; returns the two paths. */
    public static List<Path> write(AuditResult r, Path base) throws IOException {
        Path dir = base.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path json = Path.of(base + ".json"), html = Path.of(base + ".html");
        Files.writeString(json, json(r), StandardCharsets.UTF_8);
        Files.writeString(html, html(r), StandardCharsets.UTF_8);
        return List.of(json, html);
    }

    // ---- JSON ----

    public static String json(AuditResult r) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("mode", r.mode())
                .put("model", r.model())
                .put("created", r.created())
                .put("defaults", r.defaults());
        r.setting(r.defaults()).flatMap(AuditResult::headline).ifPresent(hl -> root.put("headline", headlineText(hl)));
        ArrayNode notes = root.putArray("notes");
        r.notes().forEach(notes::add);
        ObjectNode refs = root.putObject("unprotected_reference");
        r.unprotected()
                .forEach((a, ref) ->
                        refs.putObject(a).put("setting", ref.setting()).put("attack", ref.attack()));
        ObjectNode targets = root.putObject("targets_top1");
        r.targets().forEach(targets::put);
        ArrayNode settings = root.putArray("settings");
        for (SettingResult s : r.settings()) {
            ObjectNode n = settings.addObject();
            n.put("name", s.name()).put("axis", s.axis()).put("x", s.x());
            ObjectNode setting = n.putObject("setting");
            s.setting().forEach(setting::put);
            AuditResult.headline(s).ifPresent(hl -> {
                ObjectNode x = n.putObject("headline");
                x.put("summary", headlineText(hl)).put("attack", hl.attack()).put("baseline", hl.baseline());
                number(x, "top1", hl.top1());
                number(x, "baseline_top1", hl.baselineTop1());
                number(x, "excess", hl.excess());
            });
            ObjectNode acc = n.putObject("accuracy");
            s.accuracy().forEach((k, v) -> number(acc, k, v));
            ArrayNode attacks = n.putArray("attacks");
            for (AttackResult a : s.attacks()) {
                ObjectNode x = attacks.addObject();
                x.put("attack", a.attack()).put("stream", a.stream()).put("positions", a.positions());
                number(x, "top1", a.top1());
                number(x, "top" + a.k(), a.topK());
                number(x, "bleu4", a.bleu4());
                number(x, "chance", a.chance());
                number(x, "vocabulary_top1", a.vocabularyTop1());
                number(x, "seconds", a.seconds());
            }
        }
        return JSON.writeValueAsString(root);
    }

    /**
     * Reads back what {@link #json} wrote: the HTML page of a committed audit can be rendered again after a change to the
     * page without rerunning the audit, whose random masks and keys move every number (docs/results/audit.md).
     */
    public static AuditResult read(Path json) throws IOException {
        JsonNode root = JSON.readTree(json.toFile());
        List<String> notes = new ArrayList<>();
        root.path("notes").forEach(n -> notes.add(n.asText()));
        Map<String, AuditResult.Reference> unprotected = new LinkedHashMap<>();
        root.path("unprotected_reference")
                .properties()
                .forEach(e -> unprotected.put(
                        e.getKey(),
                        new AuditResult.Reference(
                                e.getValue().path("setting").asText(),
                                e.getValue().path("attack").asText())));
        Map<String, Double> targets = new LinkedHashMap<>();
        root.path("targets_top1")
                .properties()
                .forEach(e -> targets.put(e.getKey(), e.getValue().asDouble()));
        List<SettingResult> settings = new ArrayList<>();
        for (JsonNode n : root.path("settings")) {
            Map<String, String> setting = new LinkedHashMap<>();
            n.path("setting")
                    .properties()
                    .forEach(e -> setting.put(e.getKey(), e.getValue().asText()));
            Map<String, Double> accuracy = new LinkedHashMap<>();
            n.path("accuracy").properties().forEach(e -> accuracy.put(e.getKey(), number(e.getValue())));
            List<AttackResult> attacks = new ArrayList<>();
            for (JsonNode a : n.path("attacks")) {
                // top-k is written under "top" + k; k is whichever other "top<digits>" key the row has
                int k = a.properties().stream()
                        .map(Map.Entry::getKey)
                        .filter(key -> key.matches("top\\d+") && !key.equals("top1"))
                        .mapToInt(key -> Integer.parseInt(key.substring(3)))
                        .findFirst()
                        .orElse(1);
                attacks.add(new AttackResult(
                        a.path("attack").asText(),
                        a.path("stream").asText(),
                        a.path("positions").asInt(),
                        number(a.path("top1")),
                        number(a.path("top" + k)),
                        k,
                        number(a.path("bleu4")),
                        number(a.path("chance")),
                        number(a.path("vocabulary_top1")),
                        number(a.path("seconds"))));
            }
            settings.add(new SettingResult(
                    n.path("name").asText(),
                    n.path("axis").asText(),
                    n.path("x").asDouble(),
                    setting,
                    accuracy,
                    attacks));
        }
        return new AuditResult(
                root.path("mode").asText(),
                root.path("model").asText(),
                root.path("created").asText(),
                notes,
                settings,
                unprotected,
                root.path("defaults").asText(),
                targets);
    }

    /** {@code AuditReport BASE...}: writes each {@code BASE.html} again from {@code BASE.json}. */
    public static void main(String... bases) throws IOException {
        for (String base : bases) {
            Path html = Path.of(base + ".html");
            Files.writeString(html, html(read(Path.of(base + ".json"))), StandardCharsets.UTF_8);
            System.out.println("written: " + html);
        }
    }

    /** A number {@link #number(ObjectNode, String, double)} wrote: null (not finite) reads as NaN. */
    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static void number(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) n.put(key, v);
        else n.putNull(key);
    }

    // ---- HTML ----

    public static String html(AuditResult r) {
        StringBuilder h = new StringBuilder();
        String title = "Veil audit: " + (r.mode().equals("talaria") ? "Talaria" : "AloePri");
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc(title))
                .append("</title>\n<style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
                .append(
                        "table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}")
                .append(
                        "th{background:#f3f3f3}td.l,th.l{text-align:left}.ok{color:#1a7f37;font-weight:bold}.bad{color:#c62828;font-weight:bold}")
                .append(
                        "svg{display:block;margin:1em 0;max-width:100%;height:auto}.small{color:#666;font-size:12px}</style></head><body>\n");
        h.append("<h1>")
                .append(esc(title))
                .append("</h1>\n<p class=\"small\">model: <code>")
                .append(esc(r.model()))
                .append("</code><br>created: ")
                .append(esc(r.created()))
                .append("</p>\n<ul>");
        for (String n : r.notes()) h.append("<li>").append(esc(n)).append("</li>");
        h.append("</ul>\n");
        headline(h, r);
        summary(h, r);
        matrix(h, r);
        plots(h, r);
        details(h, r);
        h.append("</body></html>\n");
        return h.toString();
    }

    /** "server recovers X% (attack Y); a decoder that reads nothing, Z% (B): +E points". */
    public static String headlineText(AuditResult.Headline hl) {
        return String.format(
                Locale.ROOT,
                "server recovers %s (%s); a decoder that reads nothing recovers %s (%s): %+.1f points",
                pct(hl.top1()),
                hl.attack(),
                pct(hl.baselineTop1()),
                hl.baseline(),
                100 * hl.excess());
    }

    /** The number on top: the strongest attack on the defaults, and on every setting in one small table. */
    private static void headline(StringBuilder h, AuditResult r) {
        r.setting(r.defaults())
                .flatMap(AuditResult::headline)
                .ifPresent(hl -> h.append("<h2>Default setting: ")
                        .append(esc(headlineText(hl)))
                        .append("</h2>\n"));
        header(h, "lrlrr", "setting", "strongest attack, top-1", "attack", "reads nothing", "excess");
        for (SettingResult s : distinct(r))
            AuditResult.headline(s)
                    .ifPresent(hl -> row(
                            h,
                            "lrlrr",
                            esc(s.name()),
                            pct(hl.top1()),
                            esc(hl.attack()),
                            pct(hl.baselineTop1()),
                            String.format(Locale.ROOT, "%+.1f", 100 * hl.excess())));
        h.append("</table>\n");
    }

    /** Each attack: its score where it must work, its score on the defaults, the target, the verdict. */
    private static void summary(StringBuilder h, AuditResult r) {
        Optional<SettingResult> defaults = r.setting(r.defaults());
        if (defaults.isEmpty()) return;
        h.append(
                "<h2>Against the default setting</h2>\n<p>Every protected number next to the same attack where it is built to work (its own, unprotected setting).</p>\n");
        header(
                h,
                "llrrrrrl",
                "attack",
                "shown to work on",
                "top-1 there",
                "top-1, defaults",
                "top-10, defaults",
                "chance",
                "target",
                "verdict");
        for (AttackResult a : defaults.get().attacks()) {
            AuditResult.Reference ref = r.unprotected().get(a.attack());
            String there = "";
            String where = "";
            if (ref != null) {
                where = ref.setting() + (ref.attack().equals(a.attack()) ? "" : " (" + ref.attack() + ")");
                there = r.setting(ref.setting())
                        .flatMap(s -> s.attack(ref.attack()))
                        .map(x -> pct(x.top1()))
                        .orElse("n/a");
            }
            Double target = r.targets().get(a.attack());
            String verdict = target == null
                    ? ""
                    : a.top1() <= target ? "<span class=\"ok\">meets</span>" : "<span class=\"bad\">falls short</span>";
            row(
                    h,
                    "llrrrrrl",
                    esc(a.attack()),
                    esc(where),
                    there,
                    pct(a.top1()),
                    pct(a.topK()),
                    pct(a.chance()),
                    target == null ? "" : "≤ " + pct(target),
                    verdict);
        }
        h.append("</table>\n");
    }

    /** Attacks × settings, top-1 recovery, shaded. */
    private static void matrix(StringBuilder h, AuditResult r) {
        List<SettingResult> settings = distinct(r);
        Set<String> attacks = new LinkedHashSet<>();
        settings.forEach(s -> s.attacks().forEach(a -> attacks.add(a.attack())));
        h.append("<h2>Top-1 recovery by setting</h2>\n<table><tr><th class=\"l\">attack \\ setting</th>");
        for (SettingResult s : settings) h.append("<th>").append(esc(s.name())).append("</th>");
        h.append("</tr>\n");
        for (String a : attacks) {
            h.append("<tr><td class=\"l\">").append(esc(a)).append("</td>");
            for (SettingResult s : settings) {
                Optional<AttackResult> x = s.attack(a);
                if (x.isEmpty()) h.append("<td></td>");
                else
                    h.append(String.format(
                            Locale.ROOT,
                            "<td style=\"background:rgba(214,39,40,%.2f)\">%s</td>",
                            Math.min(1, x.get().top1()) * 0.8,
                            pct(x.get().top1())));
            }
            h.append("</tr>\n");
        }
        h.append("<tr><td class=\"l\"><i>accuracy</i></td>");
        for (SettingResult s : settings)
            h.append("<td class=\"small\">")
                    .append(esc(accuracyText(s.accuracy())))
                    .append("</td>");
        h.append("</tr></table>\n");
    }

    /**
     * One figure for all sweeps, a panel per axis: top-1 recovery of every attack, and the accuracy cost, against the
     * axis; then the points of each sweep with their accuracy.
     */
    private static void plots(StringBuilder h, AuditResult r) {
        Set<String> axes = new LinkedHashSet<>();
        r.settings().forEach(s -> {
            if (!s.axis().isEmpty()) axes.add(s.axis());
        });
        if (axes.isEmpty()) return;
        List<SvgChart.Panel> panels = new ArrayList<>();
        StringBuilder points = new StringBuilder("<ul class=\"small\">");
        for (String axis : axes) {
            List<SettingResult> sweep = r.settings().stream()
                    .filter(s -> s.axis().equals(axis))
                    .sorted((a, b) -> Double.compare(a.x(), b.x()))
                    .toList();
            Set<String> names = new LinkedHashSet<>();
            sweep.forEach(p -> p.attacks().forEach(a -> names.add(a.attack())));
            List<SvgChart.Series> series = new ArrayList<>();
            for (String n : names) {
                List<double[]> xy = new ArrayList<>();
                for (SettingResult p : sweep) p.attack(n).ifPresent(a -> xy.add(new double[] {p.x(), a.top1()}));
                if (xy.size() >= 2) series.add(SvgChart.Series.of(n, null, xy));
            }
            Set<String> accKeys = new LinkedHashSet<>();
            sweep.forEach(p -> accKeys.addAll(p.accuracy().keySet()));
            for (String k : accKeys) {
                List<double[]> xy = new ArrayList<>();
                for (SettingResult p : sweep) {
                    Double v = p.accuracy().get(k);
                    if (v != null && v >= 0 && v <= 1) xy.add(new double[] {p.x(), v});
                }
                if (xy.size() >= 2) series.add(SvgChart.Series.of("accuracy: " + k, "#000000", xy));
            }
            panels.add(new SvgChart.Panel("vs " + axis, axis, "fraction", false, series, null, null));
            points.append("<li>").append(esc(axis)).append(": ");
            for (SettingResult p : sweep)
                points.append(esc(p.name()))
                        .append(" (")
                        .append(esc(accuracyText(p.accuracy())))
                        .append("); ");
            points.append("</li>");
        }
        h.append("<h2>Sweeps</h2>\n");
        h.append(SvgChart.figure("top-1 token recovery and accuracy", panels));
        h.append(points).append("</ul>\n");
    }

    /** What each setting is, then every attack on every setting in one table, grouped by setting. */
    private static void details(StringBuilder h, AuditResult r) {
        h.append("<h2>Every setting</h2>\n");
        header(h, "lll", "setting", "parameters", "accuracy");
        for (SettingResult s : distinct(r)) {
            StringBuilder params = new StringBuilder();
            s.setting()
                    .forEach((k, v) -> params.append(params.isEmpty() ? "" : " ")
                            .append(k)
                            .append("=")
                            .append(v));
            row(h, "lll", esc(s.name()), esc(params.toString()), esc(accuracyText(s.accuracy())));
        }
        h.append("</table>\n<h2>Every attack on every setting</h2>\n");
        header(
                h,
                "lllrrrrrrr",
                "setting",
                "attack",
                "tokens",
                "positions",
                "top-1",
                "top-10",
                "BLEU-4",
                "vocab top-1",
                "chance",
                "seconds");
        for (SettingResult s : distinct(r)) {
            h.append(String.format(
                    Locale.ROOT,
                    "<tbody><tr><th class=\"l\" rowspan=\"%d\">%s</th>",
                    Math.max(1, s.attacks().size()),
                    esc(s.name())));
            for (int i = 0; i < s.attacks().size(); i++) {
                AttackResult a = s.attacks().get(i);
                if (i > 0) h.append("<tr>");
                cells(
                        h,
                        "llrrrrrrr",
                        esc(a.attack()),
                        esc(a.stream()),
                        Integer.toString(a.positions()),
                        pct(a.top1()),
                        pct(a.topK()),
                        String.format(Locale.ROOT, "%.3f", a.bleu4()),
                        Double.isFinite(a.vocabularyTop1()) ? pct(a.vocabularyTop1()) : "",
                        pct(a.chance()),
                        String.format(Locale.ROOT, "%.1f", a.seconds()));
                h.append("</tr>\n");
            }
            if (s.attacks().isEmpty()) h.append("</tr>\n");
            h.append("</tbody>\n");
        }
        h.append("</table>\n");
    }

    /**
     * A table's opening and header row; {@code align} has an {@code l} (text, left) or {@code r} (number, right) per
     * column.
     */
    private static void header(StringBuilder h, String align, String... names) {
        h.append("<table><tr>");
        for (int i = 0; i < names.length; i++)
            h.append(align.charAt(i) == 'l' ? "<th class=\"l\">" : "<th>")
                    .append(esc(names[i]))
                    .append("</th>");
        h.append("</tr>\n");
    }

    /** One row of cells that are already HTML (text escaped by the caller), aligned as {@link #header}'s. */
    private static void row(StringBuilder h, String align, String... cells) {
        h.append("<tr>");
        cells(h, align, cells);
        h.append("</tr>\n");
    }

    private static void cells(StringBuilder h, String align, String... cells) {
        for (int i = 0; i < cells.length; i++)
            h.append(align.charAt(i) == 'l' ? "<td class=\"l\">" : "<td>")
                    .append(cells[i])
                    .append("</td>");
    }

    private static List<SettingResult> distinct(AuditResult r) {
        return r.settings().stream().filter(distinctByName()).toList();
    }

    private static Predicate<SettingResult> distinctByName() {
        Set<String> seen = new HashSet<>();
        return s -> seen.add(s.name());
    }

    private static String accuracyText(Map<String, Double> acc) {
        StringBuilder sb = new StringBuilder();
        acc.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : "; ")
                .append(k)
                .append(" ")
                .append(String.format(Locale.ROOT, "%.3f", v)));
        return sb.toString();
    }

    static String pct(double v) {
        if (!Double.isFinite(v)) return "";
        return v == 0
                ? "0%"
                : v < 0.001
                        ? String.format(Locale.ROOT, "%.3f%%", 100 * v)
                        : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
