package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.Map;

import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What lets a call back into a turn being handed over reach a leaving silo: the router's allowance
 * ({@link CallbacksElsewhere}) and the chain a {@code HANDOFF} names ({@link OwnershipHandoff#callbackChain}).
 */
class CallbacksElsewhereTests {

    private static final ActorAddress TALLY = new ActorAddress("Tally", "t-1");

    private static final long LIVE = Duration.ofSeconds(10).toNanos();

    private final CallbacksElsewhere callbacks = new CallbacksElsewhere();

    @Test
    void aCallBackIsAllowedToTheSiloForItsActorAndChainOnly() {
        this.callbacks.sendingTo("silo-1", TALLY, 7, LIVE);

        assertThat(this.callbacks.allows("silo-1", TALLY, 7)).isTrue();
        assertThat(this.callbacks.allows("silo-1", TALLY, 7)).as("every call of the chain, not once").isTrue();
        assertThat(this.callbacks.allows("silo-2", TALLY, 7)).as("another silo").isFalse();
        assertThat(this.callbacks.allows("silo-1", TALLY, 8)).as("another chain").isFalse();
        assertThat(this.callbacks.allows("silo-1", new ActorAddress("Tally", "t-2"), 7)).as("another actor").isFalse();
    }

    @Test
    void anAllowanceEndsWithItsTimeToLiveAndGoesWhenAnotherIsAdded() {
        this.callbacks.sendingTo("silo-1", TALLY, 7, 0);

        assertThat(this.callbacks.allows("silo-1", TALLY, 7)).isFalse();
        this.callbacks.sendingTo("silo-1", TALLY, 8, LIVE);
        assertThat(this.callbacks.allows("silo-1", TALLY, 8)).isTrue();
        assertThat(this.callbacks.allows("silo-1", TALLY, 7)).isFalse();
    }

    @Test
    void pastTheBoundEveryAllowanceGoesAndTheNewOneStays() {
        for (int chain = 1; chain <= CallbacksElsewhere.MAX_ENTRIES; chain++) {
            this.callbacks.sendingTo("silo-1", TALLY, chain, LIVE);
        }
        assertThat(this.callbacks.allows("silo-1", TALLY, 1)).isTrue();

        this.callbacks.sendingTo("silo-1", TALLY, 0x7fff, LIVE);

        assertThat(this.callbacks.allows("silo-1", TALLY, 1)).isFalse();
        assertThat(this.callbacks.allows("silo-1", TALLY, CallbacksElsewhere.MAX_ENTRIES)).isFalse();
        assertThat(this.callbacks.allows("silo-1", TALLY, 0x7fff)).isTrue();
    }

    @Test
    void aHandoffNamesItsChainInHexadecimalAndAnUnreadableOneNamesNone() {
        assertThat(chainOf("7")).isEqualTo(7);
        assertThat(chainOf("ffffffffffffffff")).as("a negative chain id").isEqualTo(-1);
        assertThat(chainOf(Long.toHexString(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
        assertThat(chainOf("")).isEqualTo(OwnershipHandoff.NO_CHAIN);
        assertThat(chainOf("zz")).isEqualTo(OwnershipHandoff.NO_CHAIN);
        assertThat(chainOf("-1")).isEqualTo(OwnershipHandoff.NO_CHAIN);
        assertThat(chainOf("1ffffffffffffffff")).as("17 digits").isEqualTo(OwnershipHandoff.NO_CHAIN);
        assertThat(chainOf("0")).isEqualTo(OwnershipHandoff.NO_CHAIN);
        assertThat(OwnershipHandoff.callbackChain(Map.of())).isEqualTo(OwnershipHandoff.NO_CHAIN);
    }

    private static long chainOf(String value) {
        return OwnershipHandoff.callbackChain(Map.of(OwnershipHandoff.CALLBACK_CHAIN, value));
    }
}
