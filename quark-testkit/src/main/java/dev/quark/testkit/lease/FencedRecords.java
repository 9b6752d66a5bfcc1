package dev.quark.testkit.lease;

import dev.quark.lease.FencingToken;

/**
 * Records of an area's own (a job row, a hash) written under the guarded-write pattern of one backend: a token
 * column stamped after acquiring a lease and required by every write. {@link LeaseStoreContractTests} checks,
 * through it, that a stale owner's writes are refused once the new owner stamped.
 */
public interface FencedRecords {

    /**
     * Creates a record with a value and no token.
     * @param id the record's id, unique per test
     * @param value its value
     */
    void create(String id, String value);

    /**
     * Stamps a record with a token unless it holds a greater one ({@code lease_token is null or lease_token <= ?}).
     * @param id the record
     * @param token the token
     * @return whether it was stamped
     */
    boolean stamp(String id, FencingToken token);

    /**
     * Writes a record's value if it is stamped with a token ({@code where lease_token = ?}).
     * @param id the record
     * @param token the token the write is made for
     * @param value the new value
     * @return whether it was written
     */
    boolean write(String id, FencingToken token, String value);

    /**
     * Reads a record's value.
     * @param id the record
     * @return the value
     */
    String read(String id);
}
