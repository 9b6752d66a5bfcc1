package dev.quark.cluster.routing;

import java.io.IOException;
import java.util.List;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.DeadlockVictim;
import dev.quark.runtime.routing.WaitProbe;
import dev.quark.runtime.routing.WaitStep;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The frames of deadlock probes and victims between silos.
 */
class DeadlockNoticesTests {

    private static final WaitStep STEP = new WaitStep(-7L, "Node/x", "silo-1", new ActorAddress("Node", "y"), "ping",
            true);

    @Test
    void probeReadsBackAsWritten() throws IOException {
        WaitProbe probe = new WaitProbe("silo-0", 42, 3, new ActorAddress("Node", "y"), -7L,
                List.of(STEP, new WaitStep(9L, "Node/y", "silo-0", new ActorAddress("Node", "x"), "ping", false)));
        assertThat(DeadlockNotices.decodeProbe(DeadlockNotices.encode(probe))).isEqualTo(probe);
    }

    @Test
    void victimReadsBackAsWritten() throws IOException {
        DeadlockVictim victim = new DeadlockVictim(new ActorAddress("Node", "x"), Long.MAX_VALUE, "ping",
                List.of("Node/x", "Node/y"), "chain 1 holds Node/x and waits for Node/y.ping(); … é");
        assertThat(DeadlockNotices.decodeVictim(DeadlockNotices.encode(victim))).isEqualTo(victim);
    }

    @Test
    void frameOfAnotherFormatIsRefusedNamingIt() {
        byte[] frame = DeadlockNotices.encode(new WaitProbe("silo-0", 1, 1, new ActorAddress("Node", "y"), 1,
                List.of(STEP)));
        frame[0] = 9;
        assertThatExceptionOfType(IOException.class).isThrownBy(() -> DeadlockNotices.decodeProbe(frame))
            .withMessageContaining("format 9");
    }

    @Test
    void victimOfFormatOneWhichNamedOnlyTheChainIsRefused() {
        byte[] frame = DeadlockNotices.encode(new DeadlockVictim(new ActorAddress("Node", "x"), 1, "ping",
                List.of("Node/x"), "description"));
        frame[0] = 1;
        assertThatExceptionOfType(IOException.class).isThrownBy(() -> DeadlockNotices.decodeVictim(frame))
            .withMessageContaining("format 1, this silo reads format 2");
    }

    @Test
    void truncatedFrameIsRefused() {
        byte[] frame = DeadlockNotices.encode(new DeadlockVictim(new ActorAddress("Node", "x"), 1, "ping", List.of("Node/x"),
                "description"));
        byte[] truncated = java.util.Arrays.copyOf(frame, frame.length - 4);
        assertThatExceptionOfType(IOException.class).isThrownBy(() -> DeadlockNotices.decodeVictim(truncated));
    }

    @Test
    void probeWithoutPathOrWithTooLongAPathIsRefused() {
        ActorAddress address = new ActorAddress("Node", "y");
        assertThatIllegalArgumentException().isThrownBy(() -> new WaitProbe("silo-0", 1, 1, address, 1, List.of()))
            .withMessageContaining("1 to 64 edges, not 0");
        List<WaitStep> tooLong = java.util.Collections.nCopies(WaitProbe.MAX_PATH + 1, STEP);
        assertThatIllegalArgumentException().isThrownBy(() -> new WaitProbe("silo-0", 1, 1, address, 1, tooLong))
            .withMessageContaining("not 65");
    }
}
