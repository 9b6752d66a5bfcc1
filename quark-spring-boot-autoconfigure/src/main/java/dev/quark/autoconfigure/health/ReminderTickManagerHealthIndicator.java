package dev.quark.autoconfigure.health;

import java.time.Clock;
import java.time.Instant;

import dev.quark.reminder.ReminderTickManager;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the reminder table answers and how far behind this silo's reminders are: {@code UP} with the
 * backlog (reminders of the owned buckets whose tick is overdue, counted in the table) and what the tick manager
 * holds; {@code DOWN} with the error when the table cannot be read, and {@code OUT_OF_SERVICE} while the tick
 * manager does not run. A backlog alone does not make it {@code DOWN}: ticks catch up once the table answers.
 * <p>
 * The details also show the buckets this silo found with a lease store that lost its fencing tokens
 * ({@code fencingTokensLost}, counted since start, once per incident) and, once there was one, when it found the
 * last ({@code lastFencingTokensLoss}, an ISO-8601 instant). Such an incident leaves the status {@code UP}, however
 * recent: the silo has already raised the store's tokens and claims the buckets again within a claim round or two,
 * so the status has nothing to withhold. The silos find an incident in their buckets at about the same time, so a
 * {@code DOWN} or {@code OUT_OF_SERVICE} (HTTP 503 by default), even for a window after it, would take the whole
 * cluster out of its load balancer or readiness for a fault already repaired; and a status of Quark's own (a
 * {@code WARNING}) is left out of the aggregate unless every application adds it to
 * {@code management.endpoint.health.status.order}. What needs a person (why did the store lose its data?) is an
 * alert on any increase of {@code quark.reminders.lease.tokens.lost}; the details tell which silo found how many
 * buckets and when. Buckets that cannot be claimed again (a store that cannot raise its tokens) show as fewer
 * {@code ownedBuckets}. A silo that found its buckets' stamps above its store's tokens again within ten lease
 * durations of its raise (two lease stores on one reminder table, most likely) and did not raise them again shows when
 * it last did so ({@code lastFencingTokensRaiseHeldBack}); the status stays {@code UP} for the same reasons.
 */
public class ReminderTickManagerHealthIndicator extends AbstractHealthIndicator {

    private final ReminderTickManager manager;

    private final Clock clock;

    public ReminderTickManagerHealthIndicator(ReminderTickManager manager, Clock clock) {
        super("Quark reminder health check failed");
        this.manager = manager;
        this.clock = clock;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        ReminderTickManager.Stats stats = this.manager.stats();
        builder.withDetail("table", this.manager.table().toString())
            .withDetail("ownedBuckets", stats.ownedBuckets())
            .withDetail("waiting", stats.waiting())
            .withDetail("running", stats.running())
            .withDetail("pendingWrites", stats.pendingWrites())
            .withDetail("fencingTokensLost", stats.fencingTokensLost());
        Instant lastLoss = stats.lastFencingTokensLoss();
        if (lastLoss != null) {
            builder.withDetail("lastFencingTokensLoss", lastLoss.toString());
        }
        Instant heldBack = stats.lastFencingTokensRaiseHeldBack();
        if (heldBack != null) {
            builder.withDetail("lastFencingTokensRaiseHeldBack", heldBack.toString());
        }
        if (!this.manager.isRunning()) {
            builder.outOfService();
            return;
        }
        long backlog = this.manager.table().countDue(this.manager.ownedBuckets(), this.clock.instant());
        builder.withDetail("backlog", backlog).up();
    }
}
