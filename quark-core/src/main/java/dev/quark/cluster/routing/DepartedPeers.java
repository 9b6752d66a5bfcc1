package dev.quark.cluster.routing;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Transport;

/**
 * Tells the transport to let go of the silos that left the view: on each new view, every address where a
 * silo of the previous view lived (any status but {@code DEAD}), or that the transport holds
 * {@link Transport#peers() connections to}, and where no live silo other than this one lives now is
 * {@link Transport#forget forgotten} (a late probe or relay to a forgotten address opens links there again,
 * which the next view closes), so that connections to silos that left or were declared dead do not
 * pile up over many joins and leaves. An address a new silo took over is kept. Told of views in order, on
 * the installing thread. An address that a live silo has again (a silo restarted at the address of one that left)
 * is {@link Transport#welcome welcomed} back, so that answers to it go out again.
 * <p>
 * Only addresses where a silo lived in some view (dead on arrival included) are forgotten: the transport also
 * holds links to cluster clients, which call silos but never appear in the table, and forgetting them would drop
 * the answers to their calls. Those links go when nothing was heard from the client for a while
 * ({@link IdleClientLinks}), when the transport closes, or when a silo later lives at that address and leaves. A client may listen where a silo of an earlier view did (Kubernetes recycles pod
 * addresses): a request or probe from an address {@link #heardFrom welcomes} it back, so that answers go there.
 */
final class DepartedPeers implements Consumer<ClusterView> {

    private final String self;

    private final Transport transport;

    /** How many addresses of silos, seen in any view, are remembered at most. */
    private static final int MAX_SEEN = 4096;

    /** Guarded by this: where the silos of the last view live. */
    private Set<SiloAddress> living = Set.of();

    /** Guarded by this: where the dead silos of the last view lived. */
    private Set<SiloAddress> dead = Set.of();

    /** Written under this: the addresses in seen where no silo of the last view lives, read without a lock. */
    private volatile Set<SiloAddress> unwelcome = Set.of();

    /**
     * Guarded by this: where silos of any view lived (dead ones included), oldest first, unless a request came
     * from there since; only these are ever forgotten.
     */
    private final Set<SiloAddress> seen = new LinkedHashSet<>();

    DepartedPeers(String self, Transport transport) {
        this.self = self;
        this.transport = transport;
    }

    @Override
    public void accept(ClusterView view) {
        Set<SiloAddress> now = new HashSet<>();
        Set<SiloAddress> dead = new HashSet<>();
        Set<SiloAddress> own = new HashSet<>();
        for (SiloEntry entry : view.membership().silos().values()) {
            if (entry.siloId().equals(this.self)) {
                own.add(entry.address());
            }
            else if (entry.status() != SiloStatus.DEAD) {
                now.add(entry.address());
            }
            else {
                dead.add(entry.address());
            }
        }
        synchronized (this) {
            // A dead entry's address is remembered in the first view that has it, not again while it stays: a
            // cluster client heard from there since must keep its links.
            for (SiloAddress address : dead) {
                if (!this.dead.contains(address)) {
                    remember(address);
                }
            }
            now.forEach(this::remember);
            Set<SiloAddress> departed = new HashSet<>(this.living);
            // Links a late probe or relay reopened to an address forgotten earlier: nothing else closes them.
            for (SiloAddress peer : this.transport.peers()) {
                if (this.seen.contains(peer)) {
                    departed.add(peer);
                }
            }
            departed.removeAll(now);
            departed.removeAll(own);
            Set<SiloAddress> arrived = new HashSet<>(now);
            arrived.removeAll(this.living);
            this.living = now;
            this.dead = dead;
            Set<SiloAddress> unheard = new HashSet<>(this.seen);
            unheard.removeAll(now);
            this.unwelcome = unheard;
            // Under the lock, so that a request heard meanwhile is not forgotten after it was welcomed.
            departed.forEach(this.transport::forget);
            arrived.forEach(this.transport::welcome);
        }
    }

    /**
     * Takes note of a request or probe from an address: a cluster client (which is in no view, and which silos
     * never call) may listen where a silo of an earlier view did, and the answers to it must go out. The address
     * is no longer taken for a departed silo's, and the transport sends answers there again. Called for every
     * request, so it is lock-free unless the address is one a silo left.
     * @param address the request's source address
     */
    void heardFrom(SiloAddress address) {
        if (!this.unwelcome.contains(address)) {
            return;
        }
        synchronized (this) {
            if (this.seen.remove(address)) {
                Set<SiloAddress> unheard = new HashSet<>(this.unwelcome);
                unheard.remove(address);
                this.unwelcome = unheard;
                this.transport.welcome(address);
            }
        }
    }

    private void remember(SiloAddress address) {
        this.seen.remove(address);
        this.seen.add(address);
        if (this.seen.size() > MAX_SEEN) {
            this.seen.remove(this.seen.iterator().next());
        }
    }
}
