package dev.quark.autoconfigure.postgres;

import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.PostgresNotificationSender;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.ClassUtils;

/**
 * What the jobs' and durable tasks' PostgreSQL notifications check when the auto-configuration sets them up: which
 * sender the stores get (a warning when several beans make the choice ambiguous, rather than silently none), and a
 * warning when the application's Hikari pool is small for the connections the notifications hold (the shared
 * listener's and the sender's).
 */
public final class PostgresNotificationsSetup {

    /** Pools smaller than this get a warning. */
    public static final int SMALL_POOL = 5;

    /** The connections of a pool that notifications hold at most: the shared listener's and the sender's. */
    public static final int NOTIFICATION_CONNECTIONS = 2;

    private static final Logger logger = LoggerFactory.getLogger(PostgresNotificationsSetup.class);

    private static final String PROPERTIES = "quark.jobs.postgres.notify-enabled=false and "
            + "quark.durabletasks.postgres.notify-enabled=false";

    private PostgresNotificationsSetup() {
    }

    /**
     * Returns the single sender bean (or the primary one), or {@code null} with a warning naming the property when
     * several beans leave the choice ambiguous.
     * @param senders the sender beans
     * @param property the notifications' property, for the warning
     * @return the sender, or {@code null} when there is none or no single one
     */
    public static @Nullable PostgresNotificationSender sender(ObjectProvider<PostgresNotificationSender> senders,
            String property) {
        PostgresNotificationSender sender = senders.getIfUnique();
        if (sender == null) {
            List<PostgresNotificationSender> all = senders.stream().toList();
            if (all.size() > 1) {
                logger.warn("{} is on, but there are {} PostgresNotificationSender beans and none is primary: the "
                        + "store sends no notification. Mark one @Primary, or set {}=false", property, all.size(),
                        property);
            }
        }
        return sender;
    }

    /**
     * Logs one warning when the data source is a Hikari pool of fewer than {@link #SMALL_POOL} connections: the
     * notifications hold up to {@value #NOTIFICATION_CONNECTIONS} of its connections, the shared listening connection (one
     * per data source, for the cluster membership's watch and the jobs' and durable tasks' wake-ups together) for as
     * long as the node runs, and the one the sender borrows per batch of notifications. Called when the shared
     * listener of the data source is opened.
     * @param dataSource the data source whose shared listener opens
     */
    public static void warnIfSmallPool(DataSource dataSource) {
        if (!ClassUtils.isPresent("com.zaxxer.hikari.HikariDataSource",
                PostgresNotificationsSetup.class.getClassLoader())) {
            return;
        }
        int size = HikariPools.maximumPoolSize(dataSource);
        if (size > 0 && size < SMALL_POOL) {
            logger.warn("The DataSource is a Hikari pool of at most {} connections, and PostgreSQL notifications "
                    + "hold up to {} of them: the listening connection, opened now for as long as the node runs and "
                    + "shared by whichever of the cluster membership (PostgreSQL) and the jobs' and durable tasks' "
                    + "wake-ups listen, and, where jobs or durable tasks send notifications, one the sender borrows "
                    + "per batch. Raise spring.datasource.hikari.maximum-pool-size; the jobs' and durable tasks' "
                    + "notifications (not the membership's watch) can be turned off with {}", size,
                    NOTIFICATION_CONNECTIONS, PROPERTIES);
        }
    }

    /** Touches Hikari's classes only where they are. */
    private static final class HikariPools {

        /** The pool's maximum size, or 0 when the data source is no Hikari pool. */
        static int maximumPoolSize(DataSource dataSource) {
            try {
                if (dataSource instanceof HikariDataSource hikari) {
                    return hikari.getMaximumPoolSize();
                }
                if (dataSource.isWrapperFor(HikariDataSource.class)) {
                    return dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize();
                }
            }
            catch (SQLException | RuntimeException ex) {
                logger.debug("Could not read the pool's size", ex);
            }
            return 0;
        }
    }
}
