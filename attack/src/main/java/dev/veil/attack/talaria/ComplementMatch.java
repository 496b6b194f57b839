package dev.veil.attack.talaria;

import dev.veil.attack.math.Nearest;
import dev.veil.attack.math.Subspace;

/**
 * Matching in the orthogonal complement of a mask space: rows and candidates both projected onto it, where a mask
 * confined to the space has vanished, then ranked by cosine similarity.
 */
final class ComplementMatch {

    private ComplementMatch() {}

    static int[][] topK(float[] rows, float[] candidates, Subspace maskSpace, int k) {
        Nearest nearest = new Nearest(maskSpace.complement(candidates), maskSpace.dim(), Nearest.Metric.COSINE);
        return nearest.topK(maskSpace.complement(rows), k);
    }
}
