package dev.quark.testkit.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderNotices;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;

/**
 * The reminders of a {@link TestCluster}: one table and one lease store shared by the silos, and on each silo a
 * {@link ReminderRegistry} for its actors, a {@link ReminderTickManager} that fires the buckets the silo's view
 * of the ring gives it, under their leases, and {@link ReminderNotices} between the silos, as the Spring Boot
 * starter sets them up.
 */
final class ClusterReminders {

    private final ReminderTable table;

    private final ReminderSettings settings;

    private final Duration leaseDuration;

    private final Clock clock;

    private final LeaseStore leases;

    ClusterReminders(ReminderTable table, ReminderSettings settings, Duration leaseDuration, Clock clock,
            @Nullable LeaseStore leases) {
        this.table = Objects.requireNonNull(table, "table must not be null");
        this.settings = Objects.requireNonNull(settings, "settings must not be null");
        this.leaseDuration = Objects.requireNonNull(leaseDuration, "leaseDuration must not be null");
        this.clock = clock;
        this.leases = (leases != null) ? leases : new InMemoryLeaseStore(clock);
    }

    ReminderTable table() {
        return this.table;
    }

    /** A registry for a new silo's runtime. */
    ReminderRegistry registry() {
        return new ReminderRegistry(this.table, this.clock);
    }

    /**
     * Builds and starts the tick manager of a silo that has joined, following its views, and connects the
     * silo's {@link ReminderNotices} so that registrations made on it reach the owners of their buckets at once.
     */
    ReminderTickManager start(String siloId, ActorRuntime runtime, ReminderRegistry registry, ClusterViewSource views,
            SiloRouting routing) {
        ReminderTickManager manager = ReminderTickManager.builder(this.table, runtime)
            .registry(registry)
            .settings(this.settings)
            .ownership(new RingOwnership(siloId, views))
            .leases(this.leases, siloId, this.leaseDuration)
            .build();
        views.subscribe((view) -> manager.ownershipChanged());
        manager.start();
        routing.onNotice(ReminderNotices.TOPIC, (notice) -> ReminderNotices.received(notice, manager));
        registry.addListener(ReminderNotices.sendingTo((bucket, notice) -> {
            String owner = routing.view().ring().ownerOf(ReminderBuckets.firstHash(bucket));
            if (owner != null && !owner.equals(siloId)) {
                routing.notice(owner, ReminderNotices.TOPIC, notice);
            }
        }));
        return manager;
    }

    /** The buckets whose first hash the silo owns on the ring of its current view. */
    private record RingOwnership(String siloId, ClusterViewSource views) implements ReminderBucketOwnership {

        @Override
        public ReminderBucketSet ownedBuckets() {
            ClusterView view = this.views.current();
            List<Integer> buckets = new ArrayList<>();
            for (int bucket = 0; bucket < ReminderBuckets.COUNT; bucket++) {
                if (this.siloId.equals(view.ring().ownerOf(ReminderBuckets.firstHash(bucket)))) {
                    buckets.add(bucket);
                }
            }
            return ReminderBucketSet.of(buckets);
        }
    }
}
