package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.Set;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.fixtures.SettableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The earlier owners remembered per actor ({@link UnreleasedEarlierOwners}): kept for the hand-off window after they
 * were named last, and forgotten after it without a scan of every actor each time one is named.
 */
class UnreleasedEarlierOwnersTests {

    private static final Duration WINDOW = Duration.ofSeconds(30);

    private final SettableClock clock = new SettableClock();

    private final UnreleasedEarlierOwners owners = new UnreleasedEarlierOwners(this.clock, WINDOW);

    private final ActorAddress gauge = new ActorAddress("Gauge", "gauge-1");

    @Test
    void anActorWhoseEarlierOwnersExpiredIsForgottenWhenItIsLookedUp() {
        this.owners.named(this.gauge, Set.of("silo-1"));
        this.clock.advance(WINDOW.plusSeconds(1));

        assertThat(this.owners.of(this.gauge)).isEmpty();
        assertThat(this.owners.actors()).isZero();
    }

    @Test
    void anActorNeverLookedUpAgainIsForgottenAtTheNextSweepWhichComesOncePerWindow() {
        this.owners.named(this.gauge, Set.of("silo-1"));
        this.clock.advance(Duration.ofSeconds(1));
        this.owners.named(gauge(2), Set.of("silo-1"));
        assertThat(this.owners.actors()).as("not swept before a window has passed").isEqualTo(2);

        this.clock.advance(Duration.ofMillis(29_500));
        this.owners.named(gauge(3), Set.of("silo-1"));
        assertThat(this.owners.actors()).as("gauge-1, named a window and a half second ago, swept").isEqualTo(2);

        this.clock.advance(Duration.ofMillis(1_500));
        this.owners.named(gauge(4), Set.of("silo-1"));
        assertThat(this.owners.actors())
            .as("gauge-2 expired a second ago and is kept: the next sweep comes a window after the last")
            .isEqualTo(3);
    }

    private static ActorAddress gauge(int n) {
        return new ActorAddress("Gauge", "gauge-" + n);
    }
}
