package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.TcpRelay;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy on loopback between the gateway and the untrusted server that records every byte in both directions —
 * exactly what a network observer or the server itself sees — and can sever every connection at once (the server
 * "dies" mid-stream).
 */
public final class RecordingProxy implements AutoCloseable {

    private final ByteArrayOutputStream upstreamBound = new ByteArrayOutputStream();
    private final ByteArrayOutputStream gatewayBound = new ByteArrayOutputStream();
    private final TcpRelay relay;

    private RecordingProxy(int targetPort) throws IOException {
        this.relay = new TcpRelay(targetPort, recorder(upstreamBound), recorder(gatewayBound));
    }

    private static TcpRelay.Tap recorder(ByteArrayOutputStream record) {
        return (buffer, n) -> {
            synchronized (record) {
                record.write(buffer, 0, n);
            }
        };
    }

    public static RecordingProxy start(int targetPort) throws IOException {
        return new RecordingProxy(targetPort);
    }

    public URI uri() {
        return relay.uri();
    }

    /** Everything the gateway sent towards the server (HTTP requests, headers included). */
    public String sentToServer() {
        synchronized (upstreamBound) {
            return upstreamBound.toString(StandardCharsets.UTF_8);
        }
    }

    /** Everything the server sent back. */
    public String sentToGateway() {
        synchronized (gatewayBound) {
            return gatewayBound.toString(StandardCharsets.UTF_8);
        }
    }

    /** Cuts every open connection and refuses new ones: to the gateway, the server has died. */
    public void sever() {
        relay.sever();
    }

    @Override
    public void close() {
        relay.close();
    }

    /** Every integer in {@code text}, in order (ids in a JSON body, numbers in a log). */
    public static List<Integer> integers(String text) {
        List<Integer> out = new ArrayList<>();
        Matcher m = Pattern.compile("-?\\d{1,9}").matcher(text);
        while (m.find()) out.add(Integer.parseInt(m.group()));
        return out;
    }

    /** Whether {@code haystack} holds {@code run} consecutive values of {@code sequence} in order, anywhere. */
    public static boolean containsRun(List<Integer> haystack, int[] sequence, int run) {
        for (int s = 0; s + run <= sequence.length; s++) {
            int[] window = Arrays.copyOfRange(sequence, s, s + run);
            for (int h = 0; h + run <= haystack.size(); h++) {
                int k = 0;
                while (k < run && haystack.get(h + k) == window[k]) k++;
                if (k == run) return true;
            }
        }
        return false;
    }

    /**
     * Asserts that {@code seen} (a wire capture or a server log) holds none of the plaintext: not one of {@code words},
     * no answer of 6 characters or more, and no run of 4 consecutive plaintext ids.
     */
    public static void assertNoPlaintext(
            String seen, List<String> words, List<String> answers, List<int[]> plaintextIds) {
        for (String w : words) assertThat(seen).doesNotContain(w);
        for (String answer : answers)
            if (answer.strip().length() >= 6) assertThat(seen).doesNotContain(answer.strip());
        List<Integer> numbers = integers(seen);
        for (int[] plain : plaintextIds)
            assertThat(containsRun(numbers, plain, 4))
                    .as("a run of 4 plaintext ids")
                    .isFalse();
    }
}
