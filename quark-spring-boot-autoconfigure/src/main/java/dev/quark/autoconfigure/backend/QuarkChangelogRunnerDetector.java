package dev.quark.autoconfigure.backend;

import java.util.Set;

import org.springframework.boot.sql.init.dependency.AbstractBeansOfTypeDatabaseInitializerDetector;

/**
 * Tells Spring Boot's database initialization ordering that {@link QuarkChangelogRunner} beans initialize the
 * database.
 */
class QuarkChangelogRunnerDetector extends AbstractBeansOfTypeDatabaseInitializerDetector {

    @Override
    protected Set<Class<?>> getDatabaseInitializerBeanTypes() {
        return Set.of(QuarkChangelogRunner.class);
    }
}
