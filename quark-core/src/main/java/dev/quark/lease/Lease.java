package dev.quark.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A claim on a resource, granted by a {@link LeaseStore} to one owner until it expires, is released, or is
 * lost to a renewal that came too late. Immutable: a renewal returns a new lease with a later
 * {@link #validUntil()} and the same token.
 * <p>
 * {@code validUntil} is on the clock of the process that asked for the lease: that clock's reading just before
 * the request was sent, plus the duration. The store decides expiry on its own clock and starts the duration no
 * earlier than it received the request, so as long as the two clocks run at the same rate, whatever their
 * offset, the store keeps the lease at least until {@code validUntil}. A holder stops relying on its lease at
 * that instant (a {@link LeaseKeeper} tells it); writes it makes carry the {@link #token()}, which fences off
 * the ones that come later anyway.
 * <p>
 * The holder's clock is normally the wall clock ({@link Clock#systemUTC()}), so a step of it changes what
 * {@link #isValidAt} says: a node whose clock is set back by five seconds relies on its leases five seconds
 * longer than the store keeps them. Fencing tokens keep its late writes out; keep clocks slewed by NTP (which
 * changes their rate slightly) rather than stepped.
 *
 * @param resource what is leased, for instance {@code jobs:42}
 * @param owner who holds the lease, for instance a node or worker id
 * @param token the lease's fencing token
 * @param validUntil until when, on the holder's clock, the holder may rely on the lease
 */
public record Lease(String resource, String owner, FencingToken token, Instant validUntil) {

    /**
     * Validates the lease.
     * @throws IllegalArgumentException when the resource or the owner is blank
     */
    public Lease {
        LeaseArguments.requireResource(resource);
        LeaseArguments.requireOwner(owner);
        Objects.requireNonNull(token, "token must not be null");
        Objects.requireNonNull(validUntil, "validUntil must not be null");
    }

    /**
     * Returns whether the holder may still rely on the lease at an instant of its clock.
     * @param now the instant
     * @return whether {@code now} is before {@link #validUntil()}
     */
    public boolean isValidAt(Instant now) {
        return now.isBefore(this.validUntil);
    }

    /**
     * Returns how long the holder may still rely on the lease.
     * @param clock the holder's clock, the one the store was given
     * @return the time left, {@link Duration#ZERO} when none
     */
    public Duration remaining(Clock clock) {
        Duration left = Duration.between(clock.instant(), this.validUntil);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * Returns the same lease valid until another instant, as a renewal does.
     * @param validUntil the new instant
     * @return the renewed lease
     */
    Lease renewedUntil(Instant validUntil) {
        return new Lease(this.resource, this.owner, this.token, validUntil);
    }

    /**
     * Returns whether another lease is this one (same resource and token), whatever its {@code validUntil}.
     * @param other the other lease
     * @return whether both are the same lease
     */
    public boolean isSameLease(Lease other) {
        return this.resource.equals(other.resource) && this.token.equals(other.token);
    }

    @Override
    public String toString() {
        return "Lease[" + this.resource + " held by " + this.owner + ", token " + this.token + ", valid until "
                + this.validUntil + "]";
    }
}
