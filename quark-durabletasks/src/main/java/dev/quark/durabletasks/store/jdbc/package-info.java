/**
 * The PostgreSQL durable-task store, with the Liquibase changelog {@code db/changelog/quark/durabletasks.xml}.
 */
@NullMarked
package dev.quark.durabletasks.store.jdbc;

import org.jspecify.annotations.NullMarked;
