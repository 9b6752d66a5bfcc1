package dev.quark.cluster.transport.jackson;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exceptions that cross silos with their fields: quark-core's ({@link QuarkExceptionTypes}) and those of the
 * {@link ExceptionTypeContributor}s a class loader lists in {@code META-INF/services}, each type by its exact
 * class and name. Loaded by each codec when it is created, so that a contributor that cannot be used fails the
 * codec (and under Spring Boot the application's start) with an {@link IllegalStateException} naming it, instead
 * of its types arriving as {@link dev.quark.cluster.transport.RemoteActorException}s later:
 * <ul>
 * <li>a contributor that cannot be loaded or instantiated, or whose {@code contribute} throws;</li>
 * <li>a type that is not an {@link Exception} ({@link Error}s are never rebuilt);</li>
 * <li>a type name that another contributor already added (the message names both), unless one of them is Quark's
 * own and the other the application's (below).</li>
 * </ul>
 * A type that Quark adds itself (quark-core, or a contributor of a Quark module: a class in a {@code dev.quark}
 * package) and that an application's contributor adds too is kept as Quark adds it, with a warning naming both: an
 * application that taught its silos a Quark exception before Quark carried it does not stop starting when it
 * upgrades.
 */
final class ExceptionTypeTable {

    /** What the message names as the origin of quark-core's own types. */
    static final String CORE = "quark-core";

    private static final Logger logger = LoggerFactory.getLogger(ExceptionTypeTable.class);

    private static final String QUARK_PACKAGE = "dev.quark.";

    private final Map<Class<?>, Entry<?>> byClass;

    private final Map<String, Entry<?>> byName;

    private ExceptionTypeTable(Map<Class<?>, Entry<?>> byClass, Map<String, Entry<?>> byName) {
        this.byClass = Map.copyOf(byClass);
        this.byName = Map.copyOf(byName);
    }

    /**
     * Loads quark-core's types and those of the contributors the class loaders list, each contributor class once
     * (listed through both loaders, it is one contributor).
     * @param classLoaders where to look for contributors, in order
     * @return the table
     * @throws IllegalStateException naming a contributor that cannot be used, and why
     */
    static ExceptionTypeTable load(ClassLoader... classLoaders) {
        Builder builder = new Builder();
        builder.addFrom(CORE, QuarkExceptionTypes::addTo);
        Set<String> loaded = new HashSet<>();
        for (ClassLoader classLoader : classLoaders) {
            Iterator<ExceptionTypeContributor> contributors = ServiceLoader.load(ExceptionTypeContributor.class,
                    classLoader).iterator();
            while (true) {
                ExceptionTypeContributor contributor;
                try {
                    if (!contributors.hasNext()) {
                        break;
                    }
                    contributor = contributors.next();
                }
                catch (ServiceConfigurationError ex) {
                    throw new IllegalStateException("Cannot load an exception type contributor listed in "
                            + "META-INF/services/" + ExceptionTypeContributor.class.getName() + ": " + ex.getMessage(),
                            ex);
                }
                if (loaded.add(contributor.getClass().getName())) {
                    builder.addFrom(contributor.getClass().getName(), contributor::contribute);
                }
            }
        }
        return new ExceptionTypeTable(builder.byClass, builder.byName);
    }

    /** Returns the fields of a failure whose exact type is in the table; none for any other. */
    FailureFields fieldsOf(Throwable failure) {
        Entry<?> type = this.byClass.get(failure.getClass());
        return (type != null) ? type.fieldsOf(failure) : FailureFields.NONE;
    }

    /** Returns whether the named type is in the table. */
    boolean contains(String typeName) {
        return this.byName.containsKey(typeName);
    }

    /** Returns what added the named type: {@value #CORE} or the contributor's class name. */
    @Nullable String originOf(String typeName) {
        Entry<?> type = this.byName.get(typeName);
        return (type != null) ? type.origin() : null;
    }

    /**
     * Rebuilds a failure of a type in the table.
     * @return the exception, or {@code null} when the type is not in the table or the fields do not make one
     */
    @Nullable Throwable rebuild(String typeName, @Nullable String message, FailureFields fields,
            @Nullable Throwable cause) {
        Entry<?> type = this.byName.get(typeName);
        if (type == null || message == null) {
            return null;
        }
        try {
            Throwable rebuilt = type.reader().read(message, fields, cause);
            if (rebuilt != null && cause != null && rebuilt.getCause() == null) {
                rebuilt.initCause(cause);
            }
            return rebuilt;
        }
        catch (RuntimeException ex) {
            return null;
        }
    }

    /** Collects the entries, checking each. */
    private static final class Builder {

        private final Map<Class<?>, Entry<?>> byClass = new HashMap<>();

        private final Map<String, Entry<?>> byName = new HashMap<>();

        void addFrom(String origin, Consumer<ExceptionTypeContributor.Table> contributor) {
            try {
                contributor.accept(new ExceptionTypeContributor.Table() {

                    @Override
                    public <T extends Throwable> void add(Class<T> type, BiConsumer<T, FailureFields.Builder> writer,
                            ExceptionTypeContributor.Reader reader) {
                        Builder.this.add(origin, type, writer, reader);
                    }
                });
            }
            catch (InvalidContribution ex) {
                throw ex;
            }
            catch (RuntimeException ex) {
                throw new IllegalStateException("Exception type contributor " + origin + " failed: " + ex, ex);
            }
        }

        private <T extends Throwable> void add(String origin, @Nullable Class<T> type,
                @Nullable BiConsumer<T, FailureFields.Builder> writer, ExceptionTypeContributor.@Nullable Reader reader) {
            if (type == null || writer == null || reader == null) {
                throw new InvalidContribution("Exception type contributor " + origin + " adds "
                        + ((type != null) ? type.getName() : "a null type") + " without a writer and a reader");
            }
            if (!Exception.class.isAssignableFrom(type)) {
                throw new InvalidContribution("Exception type contributor " + origin + " adds " + type.getName()
                        + ", which is not an exception: only subclasses of java.lang.Exception cross silos as "
                        + "themselves");
            }
            Entry<?> existing = this.byName.get(type.getName());
            if (existing != null) {
                if (existing.origin().equals(origin)) {
                    throw new InvalidContribution(
                            "Exception type contributor " + origin + " adds " + type.getName() + " twice");
                }
                if (isQuarks(existing.origin()) == isQuarks(origin)) {
                    throw new InvalidContribution("Exception type " + type.getName() + " is added twice, by "
                            + existing.origin() + " and by " + origin
                            + ": a type crosses silos through one entry, remove it from one of them");
                }
                String quarks = isQuarks(origin) ? origin : existing.origin();
                String applications = isQuarks(origin) ? existing.origin() : origin;
                logger.warn("Exception type {} is added by Quark ({}) and by the application's contributor {}: Quark's "
                        + "entry is kept and the application's ignored; remove it from {}", type.getName(), quarks,
                        applications, applications);
                if (!isQuarks(origin)) {
                    return;
                }
                this.byClass.remove(existing.type());
            }
            Entry<T> entry = new Entry<>(type, writer, reader, origin);
            this.byClass.put(type, entry);
            this.byName.put(type.getName(), entry);
        }
    }

    /** Whether an origin is Quark's own: quark-core, or a contributor class of a Quark module. */
    private static boolean isQuarks(String origin) {
        return origin.equals(CORE) || origin.startsWith(QUARK_PACKAGE);
    }

    /** A contribution the table refuses; its message says why, and is not wrapped again. */
    private static final class InvalidContribution extends IllegalStateException {

        private static final long serialVersionUID = 1L;

        InvalidContribution(String message) {
            super(message);
        }
    }

    private record Entry<T extends Throwable>(Class<T> type, BiConsumer<T, FailureFields.Builder> writer,
            ExceptionTypeContributor.Reader reader, String origin) {

        /**
         * The failure's fields; none when its writer throws (a field the failure was built without), so that the
         * failure still crosses, as a {@code RemoteActorException} with its message, rather than failing to encode.
         */
        FailureFields fieldsOf(Throwable failure) {
            try {
                FailureFields.Builder fields = FailureFields.builder();
                this.writer.accept(this.type.cast(failure), fields);
                return fields.build();
            }
            catch (RuntimeException ex) {
                return FailureFields.NONE;
            }
        }
    }
}
