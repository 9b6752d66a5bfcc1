package dev.quark.samples.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which messages delivered again the bank's receivers recognised as applied already and did not apply again, read
 * from the lines they log at {@code DEBUG} for each ({@code AccountActor}: a credit, {@code LedgerActor}: a ledger
 * entry), both naming the message's id. A count is a total since the silo started; {@link #since} turns it into what
 * happened after an instant.
 * @param credits credits delivered again
 * @param entries ledger entries delivered again
 * @param ids the ids of the messages delivered again (credits and ledger entries)
 */
record Redeliveries(long credits, long entries, Set<String> ids) {

    /** {@code AccountActor}: "Account {} already applied credit {message id}". */
    private static final Pattern CREDIT = Pattern.compile("already applied credit (\\S+)");

    /** {@code LedgerActor}: "Ledger {} already holds entry {} (message {message id} delivered again)". */
    private static final Pattern ENTRY = Pattern
        .compile("already holds entry \\S+ \\(message (\\S+) delivered again\\)");

    /**
     * Reads the redeliveries the silos' logs hold so far.
     * @param silos the silos whose logs are read
     * @return the totals over those logs
     */
    static Redeliveries countedIn(List<SiloProcess> silos) {
        long credits = 0;
        long entries = 0;
        Set<String> ids = new TreeSet<>();
        for (SiloProcess silo : silos) {
            try (Stream<String> lines = Files.lines(silo.log())) {
                for (String line : (Iterable<String>) lines::iterator) {
                    Matcher credit = CREDIT.matcher(line);
                    if (credit.find()) {
                        credits++;
                        ids.add(credit.group(1));
                    }
                    Matcher entry = ENTRY.matcher(line);
                    if (entry.find()) {
                        entries++;
                        ids.add(entry.group(1));
                    }
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return new Redeliveries(credits, entries, ids);
    }

    /**
     * Returns the redeliveries read after an earlier reading of the same silos.
     * @param earlier the earlier reading
     * @return the difference: the counts, and the ids not read earlier
     */
    Redeliveries since(Redeliveries earlier) {
        Set<String> later = new TreeSet<>(this.ids);
        later.removeAll(earlier.ids);
        return new Redeliveries(this.credits - earlier.credits, this.entries - earlier.entries, later);
    }
}
