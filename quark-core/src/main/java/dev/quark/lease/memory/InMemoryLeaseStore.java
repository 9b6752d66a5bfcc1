package dev.quark.lease.memory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.lease.AbstractLeaseStore;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;

/**
 * Keeps leases in a map in this JVM, for one process and for tests: the injected clock decides expiry, so a test
 * with a manual clock expires leases by moving it. Tokens come from one counter per store, drawn while the
 * resource's entry is locked, so they grow per resource; they start again with a new store. An expired lease
 * stays in the map until its resource is acquired or read again.
 */
public final class InMemoryLeaseStore extends AbstractLeaseStore {

    private final ConcurrentMap<String, Held> leases = new ConcurrentHashMap<>();

    private final AtomicLong tokens = new AtomicLong();

    /**
     * Creates a store whose expiry is decided by a clock.
     * @param clock the clock, usually the application's; a manual one in tests
     */
    public InMemoryLeaseStore(Clock clock) {
        super(clock);
    }

    @Override
    protected Map<String, FencingToken> acquire(List<String> resources, int max, String owner, Duration duration) {
        Instant now = clock().instant();
        Map<String, FencingToken> granted = new LinkedHashMap<>();
        for (String resource : resources) {
            if (granted.size() == max) {
                break;
            }
            boolean[] created = new boolean[1];
            Held held = this.leases.compute(resource, (key, current) -> {
                if (current != null && current.isLiveAt(now)) {
                    return current;
                }
                created[0] = true;
                return new Held(owner, new FencingToken(this.tokens.incrementAndGet()), now.plus(duration));
            });
            if (created[0]) {
                granted.put(resource, held.token());
            }
        }
        return granted;
    }

    @Override
    protected Collection<Lease> extend(List<Lease> leases, Duration duration) {
        Instant now = clock().instant();
        List<Lease> extended = new ArrayList<>();
        for (Lease lease : leases) {
            Held held = this.leases.computeIfPresent(lease.resource(),
                    (key, current) -> (current.isLiveAt(now) && current.token().equals(lease.token()))
                            ? new Held(current.owner(), current.token(), now.plus(duration)) : current);
            if (held != null && held.token().equals(lease.token()) && held.isLiveAt(now)) {
                extended.add(lease);
            }
        }
        return extended;
    }

    @Override
    protected Collection<Lease> remove(List<Lease> leases) {
        Instant now = clock().instant();
        List<Lease> removed = new ArrayList<>();
        for (Lease lease : leases) {
            boolean[] wasLive = new boolean[1];
            this.leases.computeIfPresent(lease.resource(), (key, current) -> {
                if (!current.token().equals(lease.token())) {
                    return current;
                }
                wasLive[0] = current.isLiveAt(now);
                return null;
            });
            if (wasLive[0]) {
                removed.add(lease);
            }
        }
        return removed;
    }

    @Override
    protected void raise(String resource, FencingToken token) {
        this.tokens.accumulateAndGet(token.value(), Math::max);
    }

    @Override
    protected Optional<LeaseHolder> read(String resource) {
        Instant now = clock().instant();
        Held held = this.leases.get(resource);
        if (held == null) {
            return Optional.empty();
        }
        if (!held.isLiveAt(now)) {
            this.leases.remove(resource, held);
            return Optional.empty();
        }
        return Optional.of(new LeaseHolder(resource, held.owner(), held.token(), Duration.between(now, held.expiresAt())));
    }

    /**
     * A lease as the store keeps it.
     */
    private record Held(String owner, FencingToken token, Instant expiresAt) {

        boolean isLiveAt(Instant now) {
            return now.isBefore(this.expiresAt);
        }
    }
}
