package dev.veil.attack.audit;

import dev.veil.attack.metrics.Recovery;

/**
 * One attack's score on one setting.
 *
 * @param vocabularyTop1 for attacks that recover a vocabulary mapping (AloePri), the share of the whole vocabulary
 *                       mapped back right; NaN otherwise
 */
public record AttackResult(
        String attack,
        String stream,
        int positions,
        double top1,
        double topK,
        int k,
        double bleu4,
        double chance,
        double vocabularyTop1,
        double seconds) {

    public static AttackResult of(String attack, String stream, Recovery r, double vocabularyTop1, double seconds) {
        return new AttackResult(
                attack,
                stream,
                r.positions(),
                r.top1(),
                r.topK(),
                r.k(),
                r.bleu4(),
                r.chance(),
                vocabularyTop1,
                seconds);
    }
}
