package dev.quark.autoconfigure.health;

import java.time.Clock;

import dev.quark.reminder.ReminderTickManager;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the reminder table answers and how far behind this silo's reminders are: {@code UP} with the
 * backlog (reminders of the owned buckets whose tick is overdue, counted in the table) and what the tick manager
 * holds; {@code DOWN} with the error when the table cannot be read, and {@code OUT_OF_SERVICE} while the tick
 * manager does not run. A backlog alone does not make it {@code DOWN}: ticks catch up once the table answers.
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
            .withDetail("pendingWrites", stats.pendingWrites());
        if (!this.manager.isRunning()) {
            builder.outOfService();
            return;
        }
        long backlog = this.manager.table().countDue(this.manager.ownedBuckets(), this.clock.instant());
        builder.withDetail("backlog", backlog).up();
    }
}
