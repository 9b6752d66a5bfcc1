package dev.quark.cluster.routing;

import java.util.List;
import java.util.Map;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forwards a silo keeps for deadlock detection: found by actor, chain and method, the latest of a call passed on
 * more than once, each passing a probe or victim on once, and gone once answered.
 */
class ForwardedCallsTests {

    private static final ActorAddress NODE = new ActorAddress("Node", "x");

    private static final int PING = 7;

    private final ForwardedCalls forwarded = new ForwardedCalls((type, methodId) -> (methodId == PING) ? "ping" : null);

    @Test
    void aProbeForAForwardedCallGoesToTheSiloItWasPassedToOnce() {
        this.forwarded.passedOn(request(PING, 42, 0), NODE, "silo-2");

        assertThat(this.forwarded.passOnTo(NODE, 42, "ping", "look-1")).isEqualTo("silo-2");
        assertThat(this.forwarded.passOnTo(NODE, 42, "ping", "look-1")).as("the same probe again").isNull();
        assertThat(this.forwarded.passOnTo(NODE, 42, "ping", "look-2")).isEqualTo("silo-2");
        assertThat(this.forwarded.passOnTo(NODE, 43, "ping", "look-3")).as("another chain").isNull();
        assertThat(this.forwarded.passOnTo(NODE, 42, "pong", "look-3")).as("another method").isNull();
        assertThat(this.forwarded.passOnTo(new ActorAddress("Node", "y"), 42, "ping", "look-3")).as("another actor")
            .isNull();
    }

    @Test
    void aCallPassedOnTwiceSendsProbesWhereItWentLast() {
        this.forwarded.passedOn(request(PING, 42, 0), NODE, "silo-1");
        this.forwarded.passedOn(request(PING, 42, 2), NODE, "silo-3");

        assertThat(this.forwarded.passOnTo(NODE, 42, "ping", "look-1")).isEqualTo("silo-3");
    }

    @Test
    void ofTwoForwardsOfOneChainAtTheSameHopTheOneWhoseMethodMatchesByNameIsTaken() {
        this.forwarded.passedOn(request(99, 42, 1), NODE, "silo-1");
        this.forwarded.passedOn(request(PING, 42, 1), NODE, "silo-3");

        assertThat(this.forwarded.passOnTo(NODE, 42, "ping", "look-1")).isEqualTo("silo-3");
    }

    @Test
    void aCallWhoseMethodThisSiloCannotNameIsFoundByActorAndChain() {
        this.forwarded.passedOn(request(99, 42, 0), NODE, "silo-2");

        assertThat(this.forwarded.passOnTo(NODE, 42, "anything", "look-1")).isEqualTo("silo-2");
    }

    @Test
    void anAnsweredForwardIsForgotten() {
        ForwardedCalls.Forwarded passedOn = this.forwarded.passedOn(request(PING, 42, 0), NODE, "silo-2");
        this.forwarded.answered(passedOn);

        assertThat(this.forwarded.size()).isZero();
        assertThat(this.forwarded.passOnTo(NODE, 42, "ping", "look-1")).isNull();
    }

    @Test
    void twoSilosPassingACallBackAndForthPassEachProbeOnOnceEach() {
        // Silo A passed the call to B, and B passed it back to A: each holds a forward to the other.
        ForwardedCalls a = new ForwardedCalls((type, methodId) -> "ping");
        ForwardedCalls b = new ForwardedCalls((type, methodId) -> "ping");
        a.passedOn(request(PING, 42, 0), NODE, "B");
        b.passedOn(request(PING, 42, 1), NODE, "A");
        int relays = 0;
        String at = "A";
        for (int hop = 0; hop < 10; hop++) {
            String next = (at.equals("A") ? a : b).passOnTo(NODE, 42, "ping", List.of("silo-0", 1L, 1L));
            if (next == null) {
                break;
            }
            relays++;
            at = next;
        }
        assertThat(relays).isEqualTo(2);
    }

    private static Envelope request(int methodId, long chainId, int forwards) {
        return new Envelope(1, 1, Envelope.Kind.REQUEST, "silo-0", 1, new SiloAddress("127.0.0.1", 1), "silo-1", 1,
                "Node", "x", methodId, new byte[0], chainId, null, Map.of(), Long.MAX_VALUE, 0, forwards);
    }
}
