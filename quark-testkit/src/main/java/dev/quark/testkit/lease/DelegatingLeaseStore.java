package dev.quark.testkit.lease;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseRenewal;
import dev.quark.lease.LeaseStore;

/**
 * A lease store that passes every call to another one: the base of a test's lease store that breaks, slows down
 * or records one call and leaves the others to a real store. Override the calls to change and call {@code super}
 * (or {@link #delegate()}, for a call that should not pass through the other overrides):
 * <pre>{@code
 * LeaseStore refusing = new DelegatingLeaseStore(new InMemoryLeaseStore(clock)) {
 *
 *     @Override
 *     public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
 *         throw new IllegalStateException("lease table missing");
 *     }
 * };
 * }</pre>
 * {@link #check check} is not passed on: the interface's default asks {@link #holder holder}, so an override of
 * {@code holder} is seen by it as well.
 */
public abstract class DelegatingLeaseStore implements LeaseStore {

    private final LeaseStore delegate;

    /**
     * Creates a store that passes its calls to {@code delegate}.
     * @param delegate the store that answers
     */
    protected DelegatingLeaseStore(LeaseStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * Returns the store this one passes its calls to.
     * @return the store that answers
     */
    protected final LeaseStore delegate() {
        return this.delegate;
    }

    @Override
    public Optional<Lease> tryAcquire(String resource, String owner, Duration duration) {
        return this.delegate.tryAcquire(resource, owner, duration);
    }

    @Override
    public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
        return this.delegate.tryAcquireAny(resources, max, owner, duration);
    }

    @Override
    public Optional<Lease> renew(Lease lease, Duration duration) {
        return this.delegate.renew(lease, duration);
    }

    @Override
    public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
        return this.delegate.renewAll(leases, duration);
    }

    @Override
    public boolean release(Lease lease) {
        return this.delegate.release(lease);
    }

    @Override
    public List<Lease> releaseAll(Collection<Lease> leases) {
        return this.delegate.releaseAll(leases);
    }

    @Override
    public Optional<LeaseHolder> holder(String resource) {
        return this.delegate.holder(resource);
    }

    @Override
    public void raiseTokensAbove(String resource, FencingToken token) {
        this.delegate.raiseTokensAbove(resource, token);
    }
}
