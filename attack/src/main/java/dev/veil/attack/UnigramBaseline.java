package dev.veil.attack;

import dev.veil.attack.aloepri.AloePriAttack;
import dev.veil.attack.aloepri.AloePriTarget;
import dev.veil.attack.aloepri.FrequencyMatchingAttack;
import dev.veil.attack.capture.Call;
import dev.veil.attack.capture.Request;
import dev.veil.attack.metrics.Guesses;
import dev.veil.attack.talaria.TalariaAttack;
import dev.veil.attack.talaria.TalariaTarget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not an attack but its floor: guess the most frequent tokens of public text at every position, without reading the
 * traffic. What it recovers is what the language gives away; an attack leaks only what it recovers beyond this.
 */
public final class UnigramBaseline implements TalariaAttack, AloePriAttack {

    public static final String NAME = "baseline: most frequent public tokens (reads nothing)";

    private final int[] ranking;
    private final TokenStream stream;

    public UnigramBaseline(int[] publicTokens, int vocab, TokenStream stream, int k) {
        this.ranking = Arrays.copyOf(FrequencyMatchingAttack.byCountOrder(publicTokens, vocab), Math.min(k, vocab));
        this.stream = stream;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TokenStream stream() {
        return stream;
    }

    @Override
    public List<Guesses> attack(TalariaTarget target, Progress progress) {
        return guesses(target.requests());
    }

    @Override
    public Outcome attack(AloePriTarget target, Progress progress) {
        return new Outcome(guesses(target.requests()), null);
    }

    private List<Guesses> guesses(List<Request> requests) {
        List<Guesses> out = new ArrayList<>();
        for (Request r : requests) {
            int[][] g = new int[positions(r)][];
            Arrays.fill(g, ranking);
            out.add(new Guesses(g));
        }
        return out;
    }

    /** How many tokens of the stream a request holds, counted from what the server saw. */
    private int positions(Request r) {
        return switch (stream) {
            case PROCESSED ->
                r.calls().stream()
                        .filter(c -> c.name().equals("layer.0.qkv"))
                        .mapToInt(Call::rows)
                        .sum();
            case GENERATED ->
                r.calls().stream()
                        .filter(c -> c.name().equals("lm_head"))
                        .mapToInt(Call::rows)
                        .sum();
            case ALL -> r.idsIn().length + r.idsOut().length;
        };
    }
}
