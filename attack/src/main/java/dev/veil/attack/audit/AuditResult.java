package dev.veil.attack.audit;

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
public record AuditResult(String mode, String model, String created, List<String> notes, List<SettingResult> settings,
                          Map<String, Reference> unprotected, String defaults, Map<String, Double> targets) {

    /** Where an attack's unprotected score is read: {@code attack} on {@code setting}. */
    public record Reference(String setting, String attack) {}

    public Optional<SettingResult> setting(String name) {
        return settings.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
