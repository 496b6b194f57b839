package dev.veil.attack.audit;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole audit: every setting's scores, which setting is each attack's unprotected reference, and the targets the
 * default setting is held to.
 *
 * @param unprotected attack name → where it is shown to work: a setting it is built to break, and the attack whose
 *                    score there is the reference (itself, or a stronger variant such as IMA with the victim's key)
 * @param defaults    the name of the deployment's default setting
 * @param targets     attack name → the largest top-1 recovery the defaults may allow (from the issue); absent: none
 */
public record AuditResult(
        String mode,
        String model,
        String created,
        List<String> notes,
        List<SettingResult> settings,
        Map<String, Reference> unprotected,
        String defaults,
        Map<String, Double> targets) {

    /** Where an attack's unprotected score is read: {@code attack} on {@code setting}. */
    public record Reference(String setting, String attack) {}

    /** Attacks that read nothing (baselines) say so in their name; the rest are scored against them. */
    public static boolean readsNothing(String attack) {
        return attack.contains("reads nothing");
    }

    /**
     * The number on top of a setting: the strongest attack (highest top-1 over every attack and variant that reads the
     * traffic) beside the strongest decoder that reads nothing.
     */
    public record Headline(String attack, double top1, String baseline, double baselineTop1) {

        public double excess() {
            return top1 - baselineTop1;
        }
    }

    /**
     * Rows that use what no attacker has — the true prefix, the victim's own key, the users' own text — are analyses and
     * references, not attacks: they say so in their name and never head a report.
     */
    public static boolean usesSecrets(String attack) {
        return attack.contains("true prefix") || attack.contains("victim's key") || attack.contains("oracle");
    }

    public static Optional<Headline> headline(SettingResult s) {
        Optional<AttackResult> best = s.attacks().stream()
                .filter(a -> !readsNothing(a.attack()) && !usesSecrets(a.attack()))
                .max(Comparator.comparingDouble(AttackResult::top1));
        Optional<AttackResult> floor = s.attacks().stream()
                .filter(a -> readsNothing(a.attack()))
                .max(Comparator.comparingDouble(AttackResult::top1));
        return best.map(b -> new Headline(
                b.attack(),
                b.top1(),
                floor.map(AttackResult::attack).orElse("none"),
                floor.map(AttackResult::top1).orElse(0.0)));
    }

    public Optional<SettingResult> setting(String name) {
        return settings.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
