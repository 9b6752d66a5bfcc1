package dev.quark.samples.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;

/**
 * How many messages delivered again the bank's receivers recognised as applied already and did not apply again, read
 * from the lines they log at {@code DEBUG} for each ({@code AccountActor}: a credit, {@code LedgerActor}: a ledger
 * entry). A count is a total since the silo started; {@link #since} turns it into what happened after an instant.
 * @param credits credits delivered again
 * @param entries ledger entries delivered again
 */
record Redeliveries(long credits, long entries) {

    private static final String CREDIT = "already applied credit";

    private static final String ENTRY = "already holds entry";

    /**
     * Counts the redeliveries the silos' logs hold so far.
     * @param silos the silos whose logs are read
     * @return the totals over those logs
     */
    static Redeliveries countedIn(List<SiloProcess> silos) {
        long credits = 0;
        long entries = 0;
        for (SiloProcess silo : silos) {
            try (Stream<String> lines = Files.lines(silo.log())) {
                for (String line : (Iterable<String>) lines::iterator) {
                    credits += line.contains(CREDIT) ? 1 : 0;
                    entries += line.contains(ENTRY) ? 1 : 0;
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return new Redeliveries(credits, entries);
    }

    /**
     * Returns the redeliveries counted after an earlier count of the same silos.
     * @param earlier the earlier count
     * @return the difference
     */
    Redeliveries since(Redeliveries earlier) {
        return new Redeliveries(this.credits - earlier.credits, this.entries - earlier.entries);
    }
}
