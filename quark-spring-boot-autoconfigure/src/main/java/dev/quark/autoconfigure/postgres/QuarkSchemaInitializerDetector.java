package dev.quark.autoconfigure.postgres;

import java.util.Set;

import org.springframework.boot.sql.init.dependency.AbstractBeansOfTypeDatabaseInitializerDetector;
import org.springframework.boot.sql.init.dependency.DatabaseInitializerDetector;

/**
 * Tells Spring Boot's database initialization ordering that {@link QuarkSchemaInitializer} beans initialize the
 * database.
 */
class QuarkSchemaInitializerDetector extends AbstractBeansOfTypeDatabaseInitializerDetector
        implements DatabaseInitializerDetector {

    @Override
    protected Set<Class<?>> getDatabaseInitializerBeanTypes() {
        return Set.of(QuarkSchemaInitializer.class);
    }
}
