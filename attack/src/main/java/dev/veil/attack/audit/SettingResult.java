package dev.veil.attack.audit;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The attacks' scores on one deployment setting, with the setting's accuracy cost.
 *
 * @param axis     the sweep this setting is a point of ({@code alpha_e}, {@code m/d}, ...), or "" for a lone setting
 * @param x        its position on that axis
 * @param setting  the deployment's public description
 * @param accuracy what the setting costs in model quality (e.g. next-token agreement with the plain model)
 */
public record SettingResult(
        String name,
        String axis,
        double x,
        Map<String, String> setting,
        Map<String, Double> accuracy,
        List<AttackResult> attacks) {

    public Optional<AttackResult> attack(String name) {
        return attacks.stream().filter(a -> a.attack().equals(name)).findFirst();
    }
}
