/**
 * An application package the payload codec tests never allow.
 */
package org.example.forbidden;
