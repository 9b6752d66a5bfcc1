package dev.quark.samples.cluster;

import java.util.List;

/**
 * The backend a process test's silos run on, prepared for that test alone: the properties that point the silos at it,
 * and the clean-up of what the run left there.
 */
interface SiloBackend extends AutoCloseable {

    /**
     * Returns the properties that point a silo at this backend.
     * @return {@code name=value} properties
     */
    List<String> siloProperties();

    /** Removes what the run left in the backend. */
    @Override
    void close();
}
