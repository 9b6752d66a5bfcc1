package dev.quark.autoconfigure.backend;

import java.util.Comparator;
import java.util.Objects;

/**
 * A Liquibase changelog that creates an area's tables. An area whose backend is PostgreSQL defines one as a
 * bean; {@link QuarkChangelogRunner} applies every such bean at start-up when
 * {@code quark.postgres.initialize-schema} is on (the default).
 *
 * @param area the area, for instance {@code state}
 * @param location the changelog's class path location, for instance {@code db/changelog/quark/state.xml}; its
 * tables are named with the {@code quarkTablePrefix} changelog parameter. Quark's own areas keep theirs
 * directly under {@code db/changelog/quark/}, the folder the native-image resource hint covers; a changelog
 * elsewhere needs a resource hint of its own to work in a native image
 */
public record QuarkChangelog(String area, String location) {

    /** The order changelogs are applied in: by area, then by location, whatever the order of the beans. */
    static final Comparator<QuarkChangelog> ORDER = Comparator.comparing(QuarkChangelog::area)
        .thenComparing(QuarkChangelog::location);

    /**
     * Validates the changelog.
     * @throws IllegalArgumentException when the area or the location is blank
     */
    public QuarkChangelog {
        Objects.requireNonNull(area, "area must not be null");
        Objects.requireNonNull(location, "location must not be null");
        if (area.isBlank() || location.isBlank()) {
            throw new IllegalArgumentException("A changelog needs an area and a location, was '" + area + "', '"
                    + location + "'");
        }
    }
}
