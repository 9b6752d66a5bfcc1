package dev.quark.cluster.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.quark.cluster.routing.DistributedDirectory.OwnerIncarnation;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * The first registrations ({@code REGISTER}) of this silo that are on their way to a partition owner, for the
 * re-registration rounds ({@link RegistrationRounds}). A view installed while one is on its way registers again
 * what this silo hosts, and that activation is not hosted yet: the round of the view is reported done only once
 * each registration that was on its way has been sent again with that view or a newer one (its owner is then the
 * view's, which decides it against its own activations), or has ended, and has been registered again with the
 * view's owner when another owner answered it. Otherwise the new owner's hold on its first activations could end
 * while the old owner's answer is still on its way, and the new owner would activate the actor a second time.
 * <p>
 * A registration sent with the new view is not waited for to its end: its owner may hold it for the very round
 * that would wait for it. Nor is one whose latest attempt went to the owner (in the same incarnation) that the
 * new view keeps for its address: that owner holds nothing for it, and waiting would only delay the round.
 * <p>
 * Views are told apart by their stamp ({@link ViewTracker#installs()}: how many views this silo had installed with
 * it), not their version: after the table lost its latest writes a view's version may be lower than an earlier
 * view's, or the same with other entries, while stamps only grow.
 */
final class RegistrationsInFlight {

    private final Set<Registration> inFlight = ConcurrentHashMap.newKeySet();

    /**
     * Starts tracking a registration of an address, before its first attempt reads the view.
     */
    Registration begin(ActorAddress address) {
        Registration registration = new Registration(address);
        this.inFlight.add(registration);
        return registration;
    }

    /**
     * Returns a stage completed once every registration on its way now has been sent with a view, or a later one,
     * or has ended; one whose latest attempt went to the owner its address has in that view is not waited for.
     * @param stamp the view's stamp
     * @param ownerInView the owner of an address's partition in that view
     */
    CompletableFuture<Void> settledFor(long stamp, Function<ActorAddress, @Nullable OwnerIncarnation> ownerInView) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (Registration registration : this.inFlight) {
            pending.add(registration.settledFor(stamp, ownerInView.apply(registration.address)));
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
    }

    /**
     * One registration on its way.
     */
    final class Registration {

        private final ActorAddress address;

        /** The stamp of the view its latest attempt was sent with; guarded by this. */
        private long attempted = -1;

        /** The owner its latest attempt was sent to; guarded by this. */
        private @Nullable OwnerIncarnation attemptedOwner;

        private boolean ended;

        /** The rounds waiting for it, each with its view's stamp; guarded by this. */
        private final List<Waiter> waiters = new ArrayList<>();

        private Registration(ActorAddress address) {
            this.address = address;
        }

        /**
         * Records that an attempt is sent with a view, to the owner of the address's partition in it: the rounds
         * of views up to its stamp wait no more.
         * @param stamp the view's stamp, or one lower (an attempt counts for no view later than the one it was sent
         * with)
         */
        void attempting(long stamp, @Nullable OwnerIncarnation owner) {
            List<Waiter> ready;
            synchronized (this) {
                if (stamp >= this.attempted) {
                    this.attempted = stamp;
                    this.attemptedOwner = owner;
                }
                if (this.waiters.isEmpty()) {
                    return;
                }
                ready = new ArrayList<>();
                this.waiters.removeIf((waiter) -> waiter.stamp() <= stamp && ready.add(waiter));
            }
            ready.forEach((waiter) -> waiter.settled().complete(null));
        }

        /**
         * Ends the registration once a stage (its registration again with a new owner) completes.
         */
        void endAfter(CompletionStage<?> stage) {
            stage.whenComplete((ignored, failure) -> end());
        }

        /**
         * Ends the registration: every round waiting for it goes on. Ending it again does nothing.
         */
        void end() {
            List<Waiter> ready;
            synchronized (this) {
                this.ended = true;
                ready = this.waiters.isEmpty() ? List.of() : new ArrayList<>(this.waiters);
                this.waiters.clear();
            }
            RegistrationsInFlight.this.inFlight.remove(this);
            ready.forEach((waiter) -> waiter.settled().complete(null));
        }

        private synchronized CompletableFuture<Void> settledFor(long stamp, @Nullable OwnerIncarnation owner) {
            if (this.ended || this.attempted >= stamp
                    || (this.attemptedOwner != null && Objects.equals(this.attemptedOwner, owner))) {
                return CompletableFuture.completedFuture(null);
            }
            Waiter waiter = new Waiter(stamp, new CompletableFuture<>());
            this.waiters.add(waiter);
            return waiter.settled();
        }
    }

    private record Waiter(long stamp, CompletableFuture<Void> settled) {
    }
}
