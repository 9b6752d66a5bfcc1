package dev.quark.lease.jdbc;

import java.util.Objects;
import java.util.regex.Pattern;

import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;

/**
 * SQL conditions for writes fenced by a lease, for areas that keep their own tables in PostgreSQL. The condition
 * goes into the write's {@code WHERE}, so that the check and the write are one atomic statement; a write that
 * changes no row was refused (or found no row). Two patterns:
 * <p>
 * <b>A token column in the area's row</b> ({@code lease_token bigint}), for data that one lease owns, such as a
 * job. After acquiring the lease, and before reading the row, <em>stamp</em> it; then make every write require
 * the stamp:
 * <pre>{@code
 * update quark_job set lease_token = ?, owner = ? where id = ? and (lease_token is null or lease_token <= ?)
 *     -- JdbcFencing.stampable("lease_token"); 0 rows: a newer lease stamped it first, this one is lost
 * update quark_job set status = 'done' where id = ? and lease_token = ?
 *     -- JdbcFencing.stamped("lease_token"); 0 rows: a newer lease stamped it since, this one is lost
 * }</pre>
 * Once the newer lease has stamped the row, every write of an older one is refused; a write that came before the
 * stamp is seen by the newer owner, which reads the row after stamping it. Works wherever the area's data lives,
 * and costs nothing beyond the column.
 * <p>
 * <b>The lease itself</b>, when the area's tables are in the lease table's database: {@link #leaseIsCurrent}
 * requires the unexpired lease with this token, and locks its row ({@code FOR SHARE}) until the transaction
 * ends, so that the lease cannot be renewed, released or taken over between the check and the commit:
 * <pre>{@code
 * insert into quark_outbox_dispatch (partition, message_id) select ?, ? where <leaseIsCurrent()>
 *     -- parameters: partition, message id, then the lease's resource and token
 * }</pre>
 * No stamp needed; keep such transactions short, since renewals and takeovers of the lease wait for them, and
 * release the lease after the transaction commits, not inside it: the {@link JdbcLeaseStore} works in a
 * transaction of its own, which would wait for this one.
 * <p>
 * Either way, the fenced write is the caller's statement and runs in the caller's transaction.
 */
public final class JdbcFencing {

    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    private final String leaseTable;

    /**
     * Creates the conditions for the lease table of a table prefix.
     * @param tablePrefix the prefix the {@link JdbcLeaseStore} was created with
     */
    public JdbcFencing(TablePrefix tablePrefix) {
        this.leaseTable = tablePrefix.table("lease");
    }

    /**
     * Returns the condition that the unexpired lease on a resource has a token, locking the lease row for share
     * until the transaction ends.
     * @param resourceExpression an SQL expression for the resource, {@code ?} or for instance
     * {@code 'jobs:' || j.id}; SQL from the area's code, never from user input
     * @param tokenExpression an SQL expression for the token, {@code ?} or for instance {@code j.lease_token}
     * @return the condition, to put in a {@code WHERE}
     */
    public String leaseIsCurrent(String resourceExpression, String tokenExpression) {
        Objects.requireNonNull(resourceExpression, "resourceExpression must not be null");
        Objects.requireNonNull(tokenExpression, "tokenExpression must not be null");
        return "exists (select 1 from " + this.leaseTable + " quark_fence where quark_fence.resource = ("
                + resourceExpression + ") and quark_fence.token = (" + tokenExpression
                + ") and quark_fence.expires_at > clock_timestamp() for share of quark_fence)";
    }

    /**
     * Returns {@link #leaseIsCurrent(String, String)} with two parameters: the resource, then the token.
     * @return the condition
     */
    public String leaseIsCurrent() {
        return leaseIsCurrent("?", "?");
    }

    /**
     * Returns the condition under which a row may be stamped with a lease's token: it holds no token or one not
     * greater, so that stamping again with the same token succeeds. One parameter: the token.
     * @param tokenColumn the token column, optionally qualified, for instance {@code lease_token} or
     * {@code j.lease_token}
     * @return the condition
     */
    public static String stampable(String tokenColumn) {
        String column = requireColumn(tokenColumn);
        return "(" + column + " is null or " + column + " <= ?)";
    }

    /**
     * Returns the condition that a row is stamped with a lease's token. One parameter: the token.
     * @param tokenColumn the token column, optionally qualified
     * @return the condition
     */
    public static String stamped(String tokenColumn) {
        return requireColumn(tokenColumn) + " = ?";
    }

    /**
     * Turns the row count of a fenced write on a row known to exist into an exception when the write was refused.
     * The exception does not name a current holder: zero rows says the lease is lost (after the stamp pattern,
     * usually because a newer lease stamped the row), not who holds the resource.
     * @param rows what the statement returned
     * @param lease the lease the write was made for
     * @throws LeaseLostException when no row was written
     */
    public static void requireWritten(int rows, Lease lease) {
        if (rows == 0) {
            throw new LeaseLostException(lease.resource(), lease.token(), null);
        }
    }

    private static String requireColumn(String column) {
        Objects.requireNonNull(column, "tokenColumn must not be null");
        if (!COLUMN.matcher(column).matches()) {
            throw new IllegalArgumentException("'" + column + "' is not a column name: use letters, digits and '_', "
                    + "optionally qualified as alias.column");
        }
        return column;
    }
}
