package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.quark.cluster.routing.DistributedDirectory.OwnerIncarnation;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first registrations on their way that the round of a view waits for: until each has been sent with that view
 * or a newer one, or has ended, unless the view keeps the owner its latest attempt went to.
 */
class RegistrationsInFlightTests {

    private static final ActorAddress CHILD = new ActorAddress("Fledgling", "a");

    private static final OwnerIncarnation OLD_OWNER = new OwnerIncarnation("silo-2", 1);

    private static final OwnerIncarnation NEW_OWNER = new OwnerIncarnation("silo-3", 1);

    private static final Function<ActorAddress, @Nullable OwnerIncarnation> MOVED = (address) -> NEW_OWNER;

    private final RegistrationsInFlight inFlight = new RegistrationsInFlight();

    @Test
    void aRegistrationAttemptedWithTheViewOrANewerOneIsNotWaitedFor() {
        this.inFlight.begin(CHILD).attempting(3, NEW_OWNER);

        assertThat(this.inFlight.settledFor(3, MOVED)).isDone();
        assertThat(this.inFlight.settledFor(2, MOVED)).isDone();
    }

    @Test
    void aRegistrationAttemptedWithAnOlderViewIsWaitedForUntilItIsAttemptedWithTheView() {
        RegistrationsInFlight.Registration registration = this.inFlight.begin(CHILD);
        registration.attempting(1, OLD_OWNER);

        CompletableFuture<Void> settled = this.inFlight.settledFor(2, MOVED);
        assertThat(settled).isNotDone();
        CompletableFuture<Void> newer = this.inFlight.settledFor(3, MOVED);

        registration.attempting(2, NEW_OWNER);
        assertThat(settled).isDone();
        assertThat(newer).isNotDone();
    }

    @Test
    void aRegistrationAttemptedWithAnOlderViewIsWaitedForUntilItEnds() {
        RegistrationsInFlight.Registration registration = this.inFlight.begin(CHILD);
        registration.attempting(1, OLD_OWNER);
        CompletableFuture<Void> settled = this.inFlight.settledFor(2, MOVED);

        registration.end();

        assertThat(settled).isDone();
    }

    @Test
    void endingARegistrationAgainDoesNothing() {
        RegistrationsInFlight.Registration registration = this.inFlight.begin(CHILD);
        registration.attempting(1, OLD_OWNER);
        registration.end();

        registration.end();

        assertThat(this.inFlight.settledFor(2, MOVED)).isDone();
    }

    @Test
    void aRegistrationNotAttemptedYetIsWaitedFor() {
        RegistrationsInFlight.Registration registration = this.inFlight.begin(CHILD);

        CompletableFuture<Void> settled = this.inFlight.settledFor(2, MOVED);
        assertThat(settled).isNotDone();

        registration.attempting(2, NEW_OWNER);
        assertThat(settled).isDone();
    }

    @Test
    void aRegistrationEndsOnceItsRegistrationAgainCompletes() {
        RegistrationsInFlight.Registration registration = this.inFlight.begin(CHILD);
        registration.attempting(1, OLD_OWNER);
        CompletableFuture<Void> settled = this.inFlight.settledFor(2, MOVED);

        registration.endAfter(CompletableFuture.completedFuture(null));

        assertThat(settled).succeedsWithin(Duration.ofSeconds(1));
    }

    @Test
    void aRegistrationBegunAfterTheRoundReadTheRegistrationsIsNotWaitedFor() {
        CompletableFuture<Void> settled = this.inFlight.settledFor(2, MOVED);

        this.inFlight.begin(CHILD).attempting(1, OLD_OWNER);

        assertThat(settled).isDone();
    }

    @Test
    void aRegistrationAttemptedWithTheOwnerTheViewKeepsIsNotWaitedFor() {
        this.inFlight.begin(CHILD).attempting(1, OLD_OWNER);

        assertThat(this.inFlight.settledFor(2, (address) -> OLD_OWNER)).isDone();
    }

    @Test
    void aRegistrationAttemptedWithAnOwnerThatRestartedIsWaitedFor() {
        this.inFlight.begin(CHILD).attempting(1, OLD_OWNER);

        assertThat(this.inFlight.settledFor(2, (address) -> new OwnerIncarnation("silo-2", 2))).isNotDone();
    }
}
