/**
 * The job store SPI: where jobs are kept and how workers claim them, with the lease and fencing rules every store
 * follows. Quark ships an in-memory, a Redis and a PostgreSQL store, held to the same behaviour by
 * {@code JobStoreContractTests} in {@code quark-testkit}.
 */
@NullMarked
package dev.quark.jobs.store;

import org.jspecify.annotations.NullMarked;
